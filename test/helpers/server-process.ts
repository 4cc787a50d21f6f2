import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'

/**
 * The app as a real server process (src/server.ts, as `npm start` runs it) and the HTTP client side a
 * load test needs (cookies, form tokens, logging members in): shared by test/load/ and test/faults/.
 */

export const ROOT = path.join(__dirname, '..', '..')
export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36'

export class Server {
  readonly child: ChildProcessWithoutNullStreams
  output = ''
  /** `env` adds to (or overrides) the defaults: WORKERS, DATABASE_READ_URL, DATABASE_TIMEOUT_MS … */
  constructor (url: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: url, PORT: '0', BCRYPT_COST: '4', WORKERS: '1', RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1', ...env }
    })
    this.child.stdout.setEncoding('utf8')
    this.child.stderr.setEncoding('utf8')
    this.child.stdout.on('data', (c: string) => { this.output += c })
    this.child.stderr.on('data', (c: string) => { this.output += c })
  }

  async url (): Promise<string> {
    for (let i = 0; i < 2400; i++) {
      const m = /luntan 运行于 (http:\/\/\S+\/) /.exec(this.output)
      if (m?.[1] !== undefined) return m[1]
      if (this.child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`the server did not start:\n${this.output}`)
  }

  /** SIGTERM; resolves with the exit code and how long the drain took. */
  async stop (): Promise<{ code: number | null, ms: number }> {
    const started = Date.now()
    if (this.child.exitCode !== null) return { code: this.child.exitCode, ms: 0 }
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.child.kill('SIGTERM')
    return { code: await exited, ms: Date.now() - started }
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
