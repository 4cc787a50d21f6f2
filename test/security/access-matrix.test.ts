import fs from 'node:fs'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { ACCESS, routeKey, type RouteAccess } from './access-table'
import { ACTORS, createCast, createResources, fillPath, openSession, rowCounts, type Actor, type Cast, type Resources, type Session } from './fixtures'

/**
 * The access-control matrix: every route of the app (app.routeTable, collected as the features add
 * them) × every actor of ./fixtures.ts. The expected answers live in ONE file, ./access-table.ts; a route
 * without a row there fails here, saying so. Each cell logs in as the actor, sends the request with the
 * actor's own valid CSRF token and an empty form, and checks the status; a cell answered 4xx must have
 * changed no row count. A cell allowed to change something is followed by fresh resources.
 *
 * ACCESS_MATRIX_RECORD=<file> writes what the app answers now, for every route (rows missing from the
 * table guessed from the URL): the starting point for a new row, to be read before it is pasted.
 */
const recordTo = process.env.ACCESS_MATRIX_RECORD ?? ''

// The database's setup (migrations, seeding with bcrypt) outlasts the default 30 s on a busy MariaDB.
jest.setTimeout(120_000)

describe.each(dialects)('access-control matrix on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let cast: Cast
  let resources: Resources
  const sessions = new Map<Actor, Session>()
  const recorded: Record<string, RouteAccess> = {}
  let cells = 0

  beforeAll(async () => {
    cast = await createCast(ctx.db.knex)
    resources = await createResources(ctx.db.knex, cast)
    for (const actor of ACTORS) sessions.set(actor, await openSession(ctx.t, cast, actor))
  })

  afterAll(() => {
    if (recordTo !== '') fs.writeFileSync(recordTo, JSON.stringify(recorded, null, 1))
    // The figure docs/reliability.md quotes.
    console.log(`access matrix on ${dialect}: ${cells} cells checked`)
  })

  it('has a row in test/security/access-table.ts for every route, and none for a route that is gone', () => {
    const routes = ctx.t.app.routeTable.map((r) => routeKey(r.method, r.url))
    const missing = routes.filter((key) => ACCESS[key] === undefined)
    const stale = Object.keys(ACCESS).filter((key) => !routes.includes(key))
    if (recordTo !== '') for (const key of missing) recorded[key] = { path: guessPath(key), expect: '' }
    expect({ missing, stale, hint: 'add each missing route to ACCESS in test/security/access-table.ts (ACCESS_MATRIX_RECORD=/tmp/x.json prints what it answers now)' })
      .toEqual({ missing: [], stale: [], hint: expect.any(String) })
  })

  async function session (actor: Actor): Promise<Session> {
    const s = sessions.get(actor)
    if (s === undefined) throw new Error(`no session for ${actor}`)
    return s
  }

  async function runCell (key: string, row: RouteAccess, actor: Actor): Promise<number> {
    const [method = 'GET'] = key.split(' ')
    const url = fillPath(row.path, resources)
    const { agent, token } = await session(actor)
    const before = method === 'GET' || method === 'HEAD' ? undefined : await rowCounts(ctx.db.knex)
    const res = method === 'GET'
      ? await agent.get(url).redirects(0)
      : method === 'HEAD'
        ? await agent.head(url).redirects(0)
        : await agent.post(url).type('form').send({ _csrf: token, ...row.body })
    cells++
    // Which cell failed, and the start of its page, when one answers 5xx.
    expect({ key, actor, serverError: res.status >= 500 ? `${res.status} ${String(res.text).slice(0, 200)}` : null }).toEqual({ key, actor, serverError: null })
    if (before !== undefined) {
      if (res.status >= 400) {
        expect({ key, actor, counts: await rowCounts(ctx.db.knex) }).toEqual({ key, actor, counts: before })
      } else {
        // Allowed to change things: the next cell gets things of its own, and the actor a new session
        // (the cell may have been a logout, a password change, or a role change of their own).
        resources = await createResources(ctx.db.knex, cast)
        sessions.set(actor, await openSession(ctx.t, cast, actor))
      }
    }
    return res.status
  }

  it.each(Object.keys(ACCESS))('%s answers each actor as the table says', async (key) => {
    const row = ACCESS[key]
    if (row === undefined) throw new Error(`no row ${key}`)
    const expected = row.expect.trim().split(/\s+/)
    const got: string[] = []
    for (const actor of ACTORS) got.push(String(await runCell(key, row, actor)))
    if (recordTo !== '') {
      recorded[key] = { ...row, expect: got.join(' ') }
      return
    }
    const cellsOf = (statuses: readonly string[]): Record<string, string> => Object.fromEntries(ACTORS.map((a, i) => [a, statuses[i] ?? '(none)']))
    expect({ key, ...cellsOf(got) }).toEqual({ key, ...cellsOf(expected) })
  })

  // Only when recording: the routes the table does not know yet, answered from a path guessed from their URL.
  if (recordTo !== '') {
    it('records the routes missing from the table', async () => {
      for (const r of ctx.t.app.routeTable) {
        const key = routeKey(r.method, r.url)
        if (ACCESS[key] !== undefined) continue
        const row = { path: guessPath(key), expect: '' }
        const got: string[] = []
        for (const actor of ACTORS) got.push(String(await runCell(key, row, actor)))
        recorded[key] = { ...row, expect: got.join(' ') }
      }
    })
  }
})

/** A first guess at a concrete path for a route pattern, for recording a new row (read it before keeping it). */
function guessPath (key: string): string {
  const url = key.slice(key.indexOf(' ') + 1)
  const byPrefix: Array<[string, string]> = [['/admin/words', 'word'], ['/admin/pages', 'page'], ['/admin/categories', 'spareCategory'], ['/admin/boards', 'spareBoard'], ['/admin/ip-bans', 'ipBan'], ['/archiver/cid', 'category'], ['/archiver/aid', 'article'], ['/archiver/fid', 'board'], ['/archiver/tid', 'thread']]
  const byName: Record<string, string> = { fid: '{board}', uid: '{victim}', cid: '{comment}', aid: '{article}', catid: '{category}', pid: '{post}', tid: '{thread}', slug: '{pageSlug}', key: 'luguo', userId: '{editor}', v: '1', file: '1', page: '1', extra: '1' }
  const idName = byPrefix.find(([prefix]) => url.startsWith(prefix))?.[1] ?? 'article'
  return url
    .replace(/\(\^\\d\+\)/g, '')
    .replace(/:(\w+)/g, (_m, name: string) => name === 'id' ? `{${idName}}` : byName[name] ?? '1')
    .replace(/\*$/, 'no-such-thing')
}
