import { newQuery } from '../../scripts/bench/scenarios'
import { PHRASES } from '../../src/db/bulk-seed'
import { queryTerms } from '../../src/lib/search-text'

/**
 * The bench's `search cold (every query new)` must ask the engine every time: a query asked again within
 * a minute is answered from the kept ranking (RANKING_CACHE_MS). Its list of pairs once ran out after
 * 3,736 queries (12 s at 300 searches a second), so its third run measured the cache as much as the engine.
 */
describe('the cold search bench queries', () => {
  it('never repeat within 37,000 queries, and each is pieces of one bulk phrase', () => {
    const seen = new Set<string>()
    for (let n = 0; n < 37_000; n++) {
      const q = newQuery(n)
      expect(seen.has(q)).toBe(false)
      seen.add(q)
      if (n % 97 === 0) {
        const pieces = q.split(' ')
        expect(pieces.length).toBeGreaterThanOrEqual(2)
        expect(PHRASES.some((phrase) => pieces.every((p) => phrase.includes(p)))).toBe(true)
        expect(queryTerms(q).length).toBeGreaterThan(0)
      }
    }
  })
})
