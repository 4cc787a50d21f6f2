import { ViewCounter } from '../../src/lib/view-counter'
import { canonicalCacheKey } from '../../src/lib/cache-key'

describe('viewCounts.shown: stored + unflushed, never backwards', () => {
  function counterAt (clock: { now: number }): { counter: ViewCounter, stored: Map<number, number> } {
    const stored = new Map<number, number>()
    const counter = new ViewCounter({
      store: {
        async addViews (_kind, increments) {
          for (const [id, n] of increments) stored.set(id, (stored.get(id) ?? 0) + n)
        }
      },
      dedupeSeconds: async () => 0,
      dedupeCapacity: 100,
      now: () => clock.now
    })
    return { counter, stored }
  }

  it('equals the stored count plus the unflushed views', async () => {
    const { counter } = counterAt({ now: 1000 })
    expect(counter.shown('article', 1, 40)).toBe(40)
    await counter.hit('article', 1, 'a')
    await counter.hit('article', 1, 'b')
    expect(counter.shown('article', 1, 40)).toBe(42)
    expect(counter.shown('article', 2, 5)).toBe(5)
  })

  it('does not drop when a page still holds a stored count read before a flush, even after eviction pressure', async () => {
    const clock = { now: 1000 }
    const { counter, stored } = counterAt(clock)
    stored.set(1, 100)
    const readBeforeFlush = 100 // a cached page's copy of the stored count
    for (let i = 0; i < 5; i++) await counter.hit('article', 1, `v${i}`)
    let last = counter.shown('article', 1, readBeforeFlush)
    expect(last).toBe(105)
    // Many other ids between (more than any LRU bound here), flushed several times.
    for (let round = 0; round < 3; round++) {
      for (let id = 2; id < 5000; id++) await counter.hit('article', id, `r${round}`)
      await counter.hit('article', 1, `round${round}`)
      await counter.flush()
      clock.now += 5
      const fromStaleCopy = counter.shown('article', 1, readBeforeFlush)
      const fromFreshRead = counter.shown('article', 1, stored.get(1) ?? 0)
      expect(fromStaleCopy).toBeGreaterThanOrEqual(last)
      expect(fromStaleCopy).toBe(stored.get(1))
      expect(fromFreshRead).toBe(stored.get(1))
      last = fromStaleCopy
    }
    expect(last).toBe(108)
  })

  it('prunes floors at flush once they have not been shown for a minute', async () => {
    const clock = { now: 1000 }
    const { counter } = counterAt(clock)
    counter.shown('article', 1, 3)
    counter.shown('thread', 1, 3)
    await counter.flush()
    expect(counter.floorCount).toBe(2)
    clock.now += 61
    counter.shown('thread', 1, 3)
    await counter.flush()
    expect(counter.floorCount).toBe(1)
  })
})

describe('canonicalCacheKey', () => {
  it('keeps the path and only the parameters cached pages read, sorted', () => {
    expect(canonicalCacheKey('/article/1')).toBe('/article/1')
    expect(canonicalCacheKey('/article/1?r=0.123')).toBe('/article/1')
    expect(canonicalCacheKey('/thread/2?utm_source=x&page=3&r=1')).toBe('/thread/2?page=3')
    expect(canonicalCacheKey('/darkroom?page=2&before=99')).toBe('/darkroom?before=99&page=2')
    expect(canonicalCacheKey('/forum?')).toBe('/forum')
  })

  it('gives no key when a kept parameter is repeated', () => {
    expect(canonicalCacheKey('/thread/2?page=3&page=4')).toBeNull()
  })
})
