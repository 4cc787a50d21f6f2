import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { promisify } from 'node:util'
import crypto from 'node:crypto'
import path from 'node:path'
import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import { createArticle, createCategory } from './factories'
import { createGroupWithBoard } from '../forum/factories'
import { usernameSkeleton } from '../../src/lib/username-skeleton'
import { CHECKS } from '../../scripts/bench/checks'

/**
 * Real server processes (src/server.ts, as `npm start` runs it), logging members in through the forms,
 * and a mixed load against them, for test/load/, test/faults/ and the process-fault tests
 * (test/process-faults/): the same workload as test/load/mixed-load.test.ts — guest reads, member reads,
 * comments (flood interval respected) and reactions — with every request's start, end and outcome kept,
 * so a test can say which requests were in flight when it sent a signal.
 */

export const ROOT = path.join(__dirname, '..', '..')
export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36'
const REACTION_KINDS = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']

export class ServerProcess {
  readonly child: ChildProcessWithoutNullStreams
  output = ''
  private readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (databaseUrl: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, PORT: '0', BCRYPT_COST: '4', WORKERS: '1', RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1', ...env }
    })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })))
    this.child.stdout.setEncoding('utf8')
    this.child.stderr.setEncoding('utf8')
    this.child.stdout.on('data', (c: string) => { this.output += c })
    this.child.stderr.on('data', (c: string) => { this.output += c })
  }

  /** The address once the server listens (its startup line). */
  async url (): Promise<string> {
    for (let i = 0; i < 2400; i++) {
      const m = /luntan 运行于 (http:\/\/\S+\/) /.exec(this.output)
      if (m?.[1] !== undefined) return m[1]
      if (this.child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`the server did not start:\n${this.output}`)
  }

  /** Sends a signal; resolves with the exit code (null after a kill) and how long the process took to exit. */
  async signal (signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null, ms: number }> {
    const started = Date.now()
    if (this.child.exitCode !== null || this.child.signalCode !== null) return { code: this.child.exitCode, ms: 0 }
    this.child.kill(signal)
    const { code } = await this.exited
    return { code, ms: Date.now() - started }
  }

  /** SIGTERM; resolves with the exit code and how long the drain took. */
  async stop (): Promise<{ code: number | null, ms: number }> {
    return await this.signal('SIGTERM')
  }
}

export function cookieHeader (jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
}

export function keepCookies (jar: Map<string, string>, res: Response): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';')
    const at = pair.indexOf('=')
    jar.set(pair.slice(0, at), pair.slice(at + 1))
  }
}

export function tokenOf (html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html)
  if (m?.[1] === undefined) throw new Error('no form token in the page')
  return m[1]
}

export interface LoadMember { id: number, username: string, cookies: Map<string, string>, token: string, nextWriteAt: number }

export interface LoadSite { category: number, boardId: number, articles: number[], threads: number[], memberRows: Array<{ id: number, username: string }> }

/** A category of articles, a board of threads and `members` members (password123), view dedupe off. */
export async function seedLoadSite (db: Knex, options: { members: number, articles?: number, threads?: number, floodSeconds: number }): Promise<LoadSite> {
  const now = Math.floor(Date.now() / 1000)
  await db('settings').insert([{ key: 'view_dedupe_hours', value: '0' }, { key: 'flood_interval', value: String(options.floodSeconds) }]).onConflict('key').merge()
  const category = await createCategory(db)
  const [admin] = await db('users').insert({ username: 'loadadmin', username_key: 'loadadmin', username_skeleton: usernameSkeleton('loadadmin'), email: 'la@example.com', email_key: 'la@example.com', password_hash: await bcrypt.hash('password123', 4), role: 'admin', created_at: now - 86400 * 30 })
  const articles: number[] = []
  for (let i = 0; i < (options.articles ?? 20); i++) articles.push(await createArticle(db, { categoryId: category, authorId: Number(admin) }))
  const { boardId } = await createGroupWithBoard(db)
  const threads: number[] = []
  for (let i = 0; i < (options.threads ?? 20); i++) {
    const [t] = await db('threads').insert({ board_id: boardId, author_id: Number(admin), title: `负载主题${i}`, reply_count: 0, last_position: 1, created_at: now - 3600, last_post_at: now - 3600, last_poster_id: Number(admin), last_poster_name: 'loadadmin' })
    await db('posts').insert({ thread_id: Number(t), author_id: Number(admin), position: 1, body: '楼主', created_at: now - 3600 })
    threads.push(Number(t))
  }
  const hash = await bcrypt.hash('password123', 4)
  const rows = Array.from({ length: options.members }, (_v, i) => ({ username: `load${i}`, username_key: `load${i}`, username_skeleton: usernameSkeleton(`load${i}`), email: `load${i}@example.com`, email_key: `load${i}@example.com`, password_hash: hash, role: 'member', created_at: now - 86400 * 30 }))
  for (let i = 0; i < rows.length; i += 50) await db('users').insert(rows.slice(i, i + 50))
  const memberRows = await db('users').where('username', 'like', 'load%').whereNot('username', 'loadadmin').select<Array<{ id: number, username: string }>>('id', 'username')
  return { category, boardId, articles, threads, memberRows }
}

/** Setting up (before the measured run), a starting server may shed a request with its 503: ask again. */
async function patiently (url: string, init: RequestInit): Promise<Response> {
  let res = await fetch(url, init)
  for (let tries = 0; res.status === 503 && tries < 40; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    res = await fetch(url, init)
  }
  return res
}

/** Logs each member in through the real form; returns their cookies and a form token. */
export async function loginMembers (base: string, rows: ReadonlyArray<{ id: number, username: string }>): Promise<LoadMember[]> {
  const members: LoadMember[] = []
  for (const row of rows) {
    const jar = new Map<string, string>()
    const form = await patiently(base + 'login', { headers: { 'User-Agent': BROWSER } })
    if (form.status !== 200) throw new Error(`GET /login: ${form.status}`)
    keepCookies(jar, form)
    const res = await patiently(base + 'login', { method: 'POST', redirect: 'manual', headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: tokenOf(await form.text()), login: row.username, password: 'password123' }) })
    if (res.status !== 303) throw new Error(`login ${row.username}: ${res.status}`)
    keepCookies(jar, res)
    const home = await patiently(base, { headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(jar) } })
    if (home.status !== 200) throw new Error(`GET / as ${row.username}: ${home.status}`)
    keepCookies(jar, home)
    members.push({ id: row.id, username: row.username, cookies: jar, token: tokenOf(await home.text()), nextWriteAt: 0 })
  }
  return members
}

/** One request of the load: when it started and ended (ms since the epoch) and its status, or its error. */
export interface LoadRequest { kind: 'read' | 'comment' | 'reaction', url: string, started: number, ended: number, status: number | null, error?: string, comment?: string, reaction?: { user: number, article: number, kind: string } }

export interface LoadResult {
  requests: LoadRequest[]
  seconds: number
  statuses: Record<string, number>
  errors: number
  fivexx: number
}

/** Views served: pages of an article or thread answered 200 (view dedupe is off), per id. */
export function servedViews (requests: readonly LoadRequest[], until = Infinity): { article: Map<number, number>, thread: Map<number, number> } {
  const served = { article: new Map<number, number>(), thread: new Map<number, number>() }
  for (const r of requests) {
    if (r.kind !== 'read' || r.status !== 200 || r.ended > until) continue
    const m = /^(article|thread)\/(\d+)$/.exec(r.url)
    if (m === null) continue
    const map = served[m[1] as 'article' | 'thread']
    map.set(Number(m[2]), (map.get(Number(m[2])) ?? 0) + 1)
  }
  return served
}

/**
 * Drives the 80/10/5/5 workload at `connections` concurrent clients until `shouldStop()` says so (checked
 * before each request), against a base picked at random from `bases()` (several servers on one database).
 */
export async function runMixedLoad (options: { bases: () => string[], site: LoadSite, members: LoadMember[], connections: number, floodSeconds: number, shouldStop: () => boolean }): Promise<LoadResult> {
  const { site, members } = options
  const guestUrls = ['', 'forum', `category/${site.category}`, 'archiver/', `forum/${site.boardId}`, 'darkroom', ...site.articles.map((a) => `article/${a}`), ...site.articles.slice(0, 5).map((a) => `article/${a}/comments`), ...site.threads.map((t) => `thread/${t}`)]
  const pick = <T>(list: readonly T[]): T => list[crypto.randomInt(list.length)] as T
  const reacted = new Set<string>()
  const requests: LoadRequest[] = []
  const headers: Record<string, string> = { 'User-Agent': BROWSER, 'Accept-Encoding': 'gzip, br' }

  const oneRequest = async (): Promise<void> => {
    const base = pick(options.bases())
    const roll = crypto.randomInt(100)
    const member = pick(members)
    let request: LoadRequest
    let init: RequestInit
    if (roll < 90 || member.nextWriteAt > Date.now()) {
      const url = pick(guestUrls)
      request = { kind: 'read', url, started: Date.now(), ended: 0, status: null }
      init = { headers: roll >= 80 && roll < 90 ? { ...headers, Cookie: cookieHeader(member.cookies) } : headers, redirect: 'manual' }
    } else if (roll < 95) {
      member.nextWriteAt = Date.now() + (options.floodSeconds + 1) * 1000
      const comment = `负载测试评论 ${crypto.randomUUID()}`
      const article = pick(site.articles)
      request = { kind: 'comment', url: `article/${article}/comments`, started: Date.now(), ended: 0, status: null, comment }
      init = { method: 'POST', redirect: 'manual', headers: { ...headers, Cookie: cookieHeader(member.cookies), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: member.token, message: comment }) }
    } else {
      const article = pick(site.articles)
      const kind = pick(REACTION_KINDS)
      if (reacted.has(`${member.id}:${article}`)) return
      reacted.add(`${member.id}:${article}`)
      request = { kind: 'reaction', url: `article/${article}/react`, started: Date.now(), ended: 0, status: null, reaction: { user: member.id, article, kind } }
      init = { method: 'POST', redirect: 'manual', headers: { ...headers, Cookie: cookieHeader(member.cookies), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: member.token, kind }) }
    }
    requests.push(request)
    try {
      const res = await fetch(base + request.url, init)
      await res.arrayBuffer()
      request.status = res.status
    } catch (err) {
      request.error = String((err as { cause?: unknown }).cause ?? err)
    }
    request.ended = Date.now()
  }

  const started = Date.now()
  await Promise.all(Array.from({ length: options.connections }, async () => {
    while (!options.shouldStop()) await oneRequest()
  }))
  const statuses: Record<string, number> = {}
  for (const r of requests) {
    const key = r.status === null ? 'error' : String(r.status)
    statuses[key] = (statuses[key] ?? 0) + 1
  }
  return {
    requests,
    seconds: (Date.now() - started) / 1000,
    statuses,
    errors: requests.filter((r) => r.status === null).length,
    fivexx: requests.filter((r) => r.status !== null && r.status >= 500).length
  }
}

/** Acknowledged writes (303 for a comment, < 400 for a reaction) and refused ones (an answer ≥ 400). */
export function writesOf (requests: readonly LoadRequest[]): { acknowledgedComments: string[], refusedComments: string[], acknowledgedReactions: Array<{ user: number, article: number, kind: string }> } {
  return {
    acknowledgedComments: requests.filter((r) => r.kind === 'comment' && r.status === 303).map((r) => r.comment ?? ''),
    refusedComments: requests.filter((r) => r.kind === 'comment' && r.status !== null && r.status >= 400).map((r) => r.comment ?? ''),
    acknowledgedReactions: requests.filter((r) => r.kind === 'reaction' && r.status !== null && r.status < 400).flatMap((r) => r.reaction === undefined ? [] : [r.reaction])
  }
}

/** The bench's counter checks (null = no drift), then the reconcile commands' dry runs (side by side): each must find nothing to fix. */
export async function driftReport (db: Knex, databaseUrl: string): Promise<Array<{ check: string, drift: string | null }>> {
  const report: Array<{ check: string, drift: string | null }> = []
  for (const check of CHECKS) report.push({ check: check.name, drift: await check.run(db) })
  const commands = [['comments:reconcile', /no drift/], ['reactions:reconcile', /match their rows/]] as const
  report.push(...await Promise.all(commands.map(async ([command, clean]) => {
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', command, '--dry-run'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8' })
      return { check: command, drift: clean.test(stdout) ? null : stdout }
    } catch (err) {
      return { check: command, drift: String(err) }
    }
  })))
  return report
}

export interface LoggedInMember { cookies: Map<string, string>, token: string }

/**
 * Logs a member in through the forms (GET /login, POST /login, GET /) and returns their cookies and a
 * form token. While setting up, a starting server may shed a request with its 503 (the event loop busy
 * compiling): asked again rather than failing the run on it.
 */
export async function logInMember (base: string, username: string, password: string): Promise<LoggedInMember> {
  const patiently = async (url: string, init: RequestInit): Promise<Response> => {
    let res = await fetch(url, init)
    for (let tries = 0; res.status === 503 && tries < 40; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      res = await fetch(url, init)
    }
    return res
  }
  const jar = new Map<string, string>()
  const form = await patiently(base + 'login', { headers: { 'User-Agent': BROWSER } })
  if (form.status !== 200) throw new Error(`GET /login: ${form.status}`)
  keepCookies(jar, form)
  const res = await patiently(base + 'login', { method: 'POST', redirect: 'manual', headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: tokenOf(await form.text()), login: username, password }) })
  if (res.status !== 303) throw new Error(`login ${username}: ${res.status}`)
  keepCookies(jar, res)
  const home = await patiently(base, { headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(jar) } })
  if (home.status !== 200) throw new Error(`GET / as ${username}: ${home.status}`)
  keepCookies(jar, home)
  return { cookies: jar, token: tokenOf(await home.text()) }
}
