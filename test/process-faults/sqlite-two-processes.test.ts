import { countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { databaseUrl } from '../helpers/app'
import { ServerProcess, driftReport, loginMembers, runMixedLoad, seedLoadSite, servedViews, writesOf } from '../helpers/server-process'

/**
 * Two server processes on one SQLite file (WAL), the mixed load split between them, with a one-second
 * flood interval so that comments and reactions from both processes contend for the write lock, and
 * both processes flush their view counts every half second (issue 24, faults). SQLITE_BUSY must be
 * waited out or retried, never answered: 0 5xx and 0 connection errors; afterwards integrity_check ok,
 * the counters reconcile with 0 drift, every acknowledged write stored, the views equal the pages served.
 *
 * Why it used to fail (docs/reliability.md): Knex began every transaction with a deferred BEGIN; two
 * processes each read, then tried to write, and the one whose snapshot was older got SQLITE_BUSY_SNAPSHOT
 * at once (busy_timeout does not apply: waiting cannot help a stale snapshot). src/db/knex.ts now begins
 * IMMEDIATE, and the retry and the 503 mapping know SQLite's extended BUSY codes.
 * SQLite only: the question does not arise on MariaDB.
 */
const SECONDS = Number(process.env.PROCESS_FAULT_SECONDS ?? 8)
const CONNECTIONS = 16
const MEMBERS = 30
const FLOOD_SECONDS = 1

describe('two server processes on one SQLite file under load', () => {
  const ctx = useTestApp('sqlite', { app: false })
  jest.setTimeout(100_000)

  it(`${SECONDS} s of mixed load with writes from both: no 5xx, no SQLITE_BUSY shown, integrity ok, no drift, views counted`, async () => {
    const db = ctx.db.knex
    const site = await seedLoadSite(db, { members: MEMBERS, floodSeconds: FLOOD_SECONDS })
    // One after the other: the first migrates and seeds, the second finds the schema up to date.
    const first = new ServerProcess(databaseUrl(ctx.db))
    const servers = [first]
    try {
      const bases = [await first.url()]
      const second = new ServerProcess(databaseUrl(ctx.db))
      servers.push(second)
      bases.push(await second.url())
      // Each member logs in on both processes' address (one session store: the database).
      const members = await loginMembers(bases[0] ?? '', site.memberRows)
      const until = Date.now() + SECONDS * 1000
      const load = await runMixedLoad({ bases: () => bases, site, members, connections: CONNECTIONS, floodSeconds: FLOOD_SECONDS, shouldStop: () => Date.now() >= until })
      const stops = await Promise.all(servers.map(async (s) => await s.signal('SIGTERM')))
      const writes = writesOf(load.requests)
      const logged = servers.map((s) => s.output).join('\n')
      const busyLines = logged.split('\n').filter((l) => /SQLITE_BUSY/.test(l))
      console.log(`two processes on one SQLite file: ${load.requests.length} requests in ${load.seconds.toFixed(1)} s; statuses ${JSON.stringify(load.statuses)}; ` +
        `comments ${writes.acknowledgedComments.length} acknowledged / ${writes.refusedComments.length} refused; reactions ${writes.acknowledgedReactions.length}; ` +
        `SQLITE_BUSY lines logged ${busyLines.length}; SIGTERM → exits ${stops.map((s) => `${String(s.code)} in ${s.ms} ms`).join(', ')}`)
      if (load.fivexx > 0 || busyLines.length > 0) console.error(logged.split('\n').filter((l) => /error|BUSY/i.test(l)).slice(0, 20).join('\n'))
      expect({ fivexx: load.fivexx, errors: load.errors }).toEqual({ fivexx: 0, errors: 0 })
      // Not even a failed view flush (retried, never shown, but a sign the lock is held too long).
      expect(busyLines).toEqual([])
      expect(stops.map((s) => s.code)).toEqual([0, 0])
      expect(writes.acknowledgedComments.length).toBeGreaterThan(0)

      const stored = new Set((await db('comments').where('body', 'like', '负载测试评论 %').select<Array<{ body: string }>>('body')).map((r) => r.body))
      expect(writes.acknowledgedComments.filter((b) => !stored.has(b))).toEqual([])
      expect(stored.size).toBe(writes.acknowledgedComments.length)
      expect(await countRows(db, 'reactions')).toBe(writes.acknowledgedReactions.length)
      expect((await driftReport(db, databaseUrl(ctx.db))).filter((c) => c.drift !== null)).toEqual([])
      const check = await db.raw<Array<{ integrity_check: string }>>('PRAGMA integrity_check')
      expect(check.map((r) => r.integrity_check)).toEqual(['ok'])

      const served = servedViews(load.requests)
      for (const [kind, table, ids] of [['article', 'articles', site.articles], ['thread', 'threads', site.threads]] as const) {
        for (const id of ids) {
          const row = await db(table).where({ id }).first<{ views: number }>('views')
          expect({ kind, id, views: Number(row?.views) }).toEqual({ kind, id, views: served[kind].get(id) ?? 0 })
        }
      }
    } finally {
      for (const s of servers) await s.signal('SIGTERM')
    }
  })
})
