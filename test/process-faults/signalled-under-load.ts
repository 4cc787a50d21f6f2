import { countRows, type Dialect } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, databaseUrl } from '../helpers/app'
import { BROWSER, ServerProcess, driftReport, loginMembers, runMixedLoad, seedLoadSite, writesOf, type LoadRequest, type LoadSite } from '../helpers/server-process'

/**
 * What the SIGTERM and kill -9 tests share (sigterm.test.ts, kill-9.test.ts): a database with the load
 * site, a server process that gets `signal` after PROCESS_FAULT_SECONDS (default 5) of the mixed load,
 * the load going on until the process is gone, and the checks after it.
 */
export const SECONDS = Number(process.env.PROCESS_FAULT_SECONDS ?? 5)
const CONNECTIONS = 16
const MEMBERS = 12
const FLOOD_SECONDS = 2

export const ARTICLE_OR_THREAD = /^(article|thread)\/\d+$/

/** Pages of an article or thread answered 200 (each one view: dedupe is off). */
export function pagesServed (requests: readonly LoadRequest[], endedAfter = -Infinity): number {
  return requests.filter((r) => r.kind === 'read' && r.status === 200 && ARTICLE_OR_THREAD.test(r.url) && r.ended > endedAfter).length
}

export interface SignalledRun { requests: LoadRequest[], signalAt: number, exit: { code: number | null, ms: number }, output: string }

export function useSignalledServer (dialect: Dialect) {
  const ctx = useTestApp(dialect, { app: false })
  let site: LoadSite | undefined
  const siteOf = (): LoadSite => {
    if (site === undefined) throw new Error('the load site is not seeded yet')
    return site
  }

  beforeAll(async () => {
    site = await seedLoadSite(ctx.db.knex, { members: MEMBERS, floodSeconds: FLOOD_SECONDS })
  })

  return {
    ctx,
    site: siteOf,

    /** Stored views of the site's articles and threads: summed, and per id. */
    async storedViews (): Promise<{ total: number, article: Map<number, number>, thread: Map<number, number> }> {
      const db = ctx.db.knex
      const article = new Map((await db('articles').whereIn('id', siteOf().articles).select<Array<{ id: number, views: number }>>('id', 'views')).map((r) => [Number(r.id), Number(r.views)]))
      const thread = new Map((await db('threads').whereIn('id', siteOf().threads).select<Array<{ id: number, views: number }>>('id', 'views')).map((r) => [Number(r.id), Number(r.views)]))
      let total = 0
      for (const v of [...article.values(), ...thread.values()]) total += v
      return { total, article, thread }
    },

    /** Every acknowledged comment and reaction is stored; no refused comment is. Returns how many were acknowledged. */
    async expectWritesKept (requests: readonly LoadRequest[]): Promise<{ comments: number, reactions: number }> {
      const db = ctx.db.knex
      const writes = writesOf(requests)
      const stored = new Set((await db('comments').where('body', 'like', '负载测试评论 %').select<Array<{ body: string }>>('body')).map((r) => r.body))
      expect(writes.acknowledgedComments.filter((b) => !stored.has(b))).toEqual([])
      expect(writes.refusedComments.filter((b) => stored.has(b))).toEqual([])
      for (const r of writes.acknowledgedReactions) expect({ ...r, stored: await countRows(db, 'reactions', { user_id: r.user, article_id: r.article }) }).toEqual({ ...r, stored: 1 })
      return { comments: writes.acknowledgedComments.length, reactions: writes.acknowledgedReactions.length }
    },

    /** Counters equal their rows (the bench's checks and the reconcile commands); on SQLite, integrity_check ok. */
    async expectConsistent (): Promise<void> {
      expect((await driftReport(ctx.db.knex, databaseUrl(ctx.db))).filter((c) => c.drift !== null)).toEqual([])
      if (dialect === 'sqlite') {
        const check = await ctx.db.knex.raw<Array<{ integrity_check: string }>>('PRAGMA integrity_check')
        expect(check.map((r) => r.integrity_check)).toEqual(['ok'])
      }
    },

    /**
     * A new app on the same database, its own connection pool (what a restarted process does: on
     * SQLite the WAL a killed process left is read back), serves the home page and an article. An app
     * in this process rather than a third server process: the same code, without another ~10 s start.
     */
    async expectRestartServes (): Promise<void> {
      const t = await buildTestApp(ctx.db, { knex: ctx.db.connect() })
      try {
        for (const url of ['/', `/article/${siteOf().articles[0] ?? 0}`]) expect({ url, status: (await t.agent().get(url).set('User-Agent', BROWSER)).status }).toEqual({ url, status: 200 })
      } finally {
        await t.close()
      }
    },

    /** Starts a server, logs the members in, runs the load; after SECONDS sends `signal`, the load going on until the process is gone. */
    async loadThenSignal (signal: NodeJS.Signals): Promise<SignalledRun> {
      const server = new ServerProcess(databaseUrl(ctx.db))
      const base = await server.url()
      const members = await loginMembers(base, siteOf().memberRows)
      let gone = false
      let signalAt = 0
      let exit = { code: null as number | null, ms: 0 }
      const signalled = (async () => {
        await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
        signalAt = Date.now()
        exit = await server.signal(signal)
        gone = true
      })()
      const load = await runMixedLoad({ bases: () => [base], site: siteOf(), members, connections: CONNECTIONS, floodSeconds: FLOOD_SECONDS, shouldStop: () => gone })
      await signalled
      return { requests: load.requests, signalAt, exit, output: server.output }
    }
  }
}
