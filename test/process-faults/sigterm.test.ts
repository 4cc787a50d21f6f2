import { dialects } from '../helpers/database'
import { servedViews } from '../helpers/server-process'
import { SECONDS, pagesServed, useSignalledServer } from './signalled-under-load'

/**
 * SIGTERM to a server process (src/server.ts) in the middle of the mixed load (issue 24, faults): every
 * request already sent is answered, none with a 5xx (those sent after the signal find the port closed);
 * the process exits 0 within SHUTDOWN_DEADLINE_MS; the buffered views are flushed (stored views = pages
 * served, dedupe off); every acknowledged write is stored; the counters have no drift; a new process on
 * the same database serves again. (test/load/mixed-load.test.ts sends its SIGTERM after the load, idle.)
 */
/** src/server.ts's SHUTDOWN_DEADLINE_MS (not imported: importing src/server.ts starts a server in the test process). */
const SHUTDOWN_DEADLINE_MS = 10_000

describe.each(dialects)('SIGTERM to a server process under load on %s', (dialect) => {
  const run = useSignalledServer(dialect)
  jest.setTimeout(60_000)

  it(`after ${SECONDS} s of load: requests in flight answered, exit 0 within ${SHUTDOWN_DEADLINE_MS / 1000} s, views flushed, writes stored`, async () => {
    const { requests, signalAt, exit, output } = await run.loadThenSignal('SIGTERM')
    const before = requests.filter((r) => r.started < signalAt)
    const inFlight = before.filter((r) => r.ended >= signalAt)
    const after: Record<string, number> = {}
    for (const r of requests.filter((r) => r.started >= signalAt)) {
      const key = r.status === null ? 'connection refused or reset' : String(r.status)
      after[key] = (after[key] ?? 0) + 1
    }
    const stored = await run.storedViews()
    console.log(`SIGTERM under load on ${dialect}: ${before.length} requests sent before the signal (${inFlight.length} in flight at it), ` +
      `${before.filter((r) => r.status !== null).length} answered; after it ${JSON.stringify(after)}; exit ${String(exit.code)} in ${exit.ms} ms; ` +
      `views stored ${stored.total} = pages served ${pagesServed(requests)}`)
    const failed = before.filter((r) => r.status === null || r.status >= 500)
    if (failed.length > 0) console.error(output.split('\n').filter((l) => /error/i.test(l)).slice(0, 20).join('\n'))
    expect(failed.map((r) => `${r.url}: ${r.status ?? r.error ?? ''}`)).toEqual([])
    expect(inFlight.length).toBeGreaterThan(0)
    expect(exit.code).toBe(0)
    expect(exit.ms).toBeLessThan(SHUTDOWN_DEADLINE_MS)
    const served = servedViews(requests)
    for (const kind of ['article', 'thread'] as const) {
      for (const [id, views] of stored[kind]) expect({ kind, id, views }).toEqual({ kind, id, views: served[kind].get(id) ?? 0 })
    }
    await run.expectWritesKept(requests)
    await run.expectConsistent()
    await run.expectRestartServes()
  })
})
