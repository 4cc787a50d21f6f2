import { ViewCounter, startFlushing } from '../../src/lib/view-counter'
import { FLUSH_INTERVAL_MS } from '../../src/plugins/view-counts'

/**
 * The README promises that `kill -9` loses at most the last second of views: every view must be
 * written (the UPDATE committed) within a second of being counted, even when a write takes a while.
 * The app's schedule (FLUSH_INTERVAL_MS with startFlushing) is run on fake timers with a store whose
 * writes take WRITE_MS (the ~330 ms over the interval that a probe under load measured).
 */
const WRITE_MS = 330

describe('the view count flush schedule', () => {
  beforeEach(() => { jest.useFakeTimers() })
  afterEach(() => { jest.useRealTimers() })

  it('writes every view within a second of counting it, with writes taking a third of a second', async () => {
    const countedAt = new Map<number, number>()
    const writtenAt = new Map<number, number>()
    let writes = 0
    const counter = new ViewCounter({
      store: {
        async addViews (_kind, increments) {
          writes++
          await new Promise((resolve) => setTimeout(resolve, WRITE_MS))
          for (const id of increments.keys()) writtenAt.set(id, Date.now())
        }
      },
      dedupeSeconds: async () => 0,
      now: () => Math.floor(Date.now() / 1000)
    })
    const flushing = startFlushing(counter, FLUSH_INTERVAL_MS, (err) => { throw err })
    try {
      // One view every 37 ms for 5 seconds, each of its own article (so each is seen in the store).
      for (let id = 1; id <= 135; id++) {
        await jest.advanceTimersByTimeAsync(37)
        countedAt.set(id, Date.now())
        await counter.hit('article', id, `v${id}`)
      }
      await jest.advanceTimersByTimeAsync(2000)
    } finally {
      flushing.stop()
    }
    const worst = Math.max(...[...countedAt].map(([id, at]) => (writtenAt.get(id) ?? Infinity) - at))
    expect(writtenAt.size).toBe(countedAt.size)
    expect(worst).toBeLessThanOrEqual(1000)
    expect(writes).toBeGreaterThan(5) // batched, not one write per view
    expect(writes).toBeLessThan(countedAt.size / 5)
  })

  it('stops with stop(): no flush after it', async () => {
    let flushes = 0
    const flushing = startFlushing({ flush: async () => { flushes++ } }, FLUSH_INTERVAL_MS, () => {})
    await jest.advanceTimersByTimeAsync(FLUSH_INTERVAL_MS * 3)
    expect(flushes).toBe(3)
    flushing.stop()
    await jest.advanceTimersByTimeAsync(FLUSH_INTERVAL_MS * 3)
    expect(flushes).toBe(3)
  })
})
