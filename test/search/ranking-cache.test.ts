import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'
import { searchRepository, type SearchDocument } from '../../src/features/search/repository'
import { RANKING_CACHE_MS, searchService, type SearchOutcome, type SearchRequest } from '../../src/features/search/service'
import { workerRanker } from '../../src/features/search/ranker'
import { indexText } from '../../src/lib/search-text'

/**
 * A query's ranking is kept for RANKING_CACHE_MS (like Discuz's 搜索缓存): its next pages and the next
 * reader of the same words are cut from it without asking the engine again. What must still hold:
 * a write through this process's index is seen at once; what another process deletes or hides never
 * shows (the page's rows are read again); what another process adds shows once the ranking expires.
 */
describe.each(dialects)('the kept ranking of a query on %s', (dialect) => {
  let db: TestDatabase
  const now = 1_800_000_000
  const members = { byNamePrefix: async () => [], namesOf: async () => new Map<number, string>() }
  const request = (over: Partial<SearchRequest> = {}): SearchRequest => ({ q: '骑楼', type: 'all', page: 1, viewerId: null, now, ...over })
  const doc = (refId: number, title: string, over: Partial<SearchDocument> = {}): SearchDocument => ({
    kind: 'article', refId, parentId: null, scopeId: 1, audience: 'all', listed: true, authorId: 1, createdAt: now - refId, title, body: `${title}的故事`, ...over
  })
  /** Another process's write: straight to the table, not through this service's index. */
  const writtenElsewhere = async (d: SearchDocument): Promise<void> => {
    await db.knex('search_documents').insert({
      kind: d.kind, ref_id: d.refId, parent_id: d.parentId, scope_id: d.scopeId, audience: d.audience, listed: d.listed, author_id: d.authorId,
      created_at: d.createdAt, title: d.title, body: d.body, title_terms: indexText(d.title), body_terms: indexText(d.body)
    })
  }
  const titles = (o: SearchOutcome): string[] => o.kind === 'content' ? o.hits.map((h) => h.title) : [`(${o.kind})`]

  let engineCalls = 0
  let rowReads = 0
  const countingRepo = (): ReturnType<typeof searchRepository> => {
    const repo = searchRepository(db.knex)
    return {
      ...repo,
      candidates: async (...args) => { engineCalls++; return await repo.candidates(...args) },
      results: async (...args) => { rowReads++; return await repo.results(...args) }
    }
  }

  beforeEach(async () => {
    db = await createTestDatabase(dialect)
    engineCalls = 0
    rowReads = 0
    for (let i = 1; i <= 15; i++) await writtenElsewhere(doc(i, `骑楼第${i}号`))
  })
  afterEach(async () => { await db.destroy() })

  it('pages through one ranking: the engine is asked once for page 1, page 2 and a second reader', async () => {
    const service = searchService({ repo: countingRepo(), members })
    const p1 = await service.search(request())
    // The page a search ranks is shown from the ranking's own rows: they are not read again.
    expect(rowReads).toBe(0)
    const p2 = await service.search(request({ page: 2, now: now + 30 }))
    const again = await service.search(request({ now: now + 59 }))
    expect(engineCalls).toBe(1)
    // The kept ranking's pages are read again, with the filter as it is now.
    expect(rowReads).toBe(2)
    expect(titles(p1)).toHaveLength(10)
    expect(titles(p2)).toHaveLength(5)
    expect(new Set([...titles(p1), ...titles(p2)]).size).toBe(15)
    expect(titles(again)).toEqual(titles(p1))
    // Other words, another type or a member (who may read more) are rankings of their own.
    await service.search(request({ q: '第1号' }))
    await service.search(request({ type: 'article' }))
    await service.search(request({ viewerId: 7 }))
    expect(engineCalls).toBe(4)
    // A first search for a page past the last one is moved back to the last page, read by id.
    const past = await service.search(request({ q: '号', page: 9 }))
    expect(past).toMatchObject({ kind: 'content', page: 2 })
    expect(titles(past)).toHaveLength(5)
  })

  it('a write through this process’s index is found at once, and a committed removal is gone at once', async () => {
    const service = searchService({ repo: countingRepo(), members })
    expect(titles(await service.search(request({ q: '骑楼新篇' })))).toEqual([])
    await db.knex.transaction(async (trx) => { await service.index.put(trx, doc(100, '骑楼新篇', { createdAt: now })) })
    expect(titles(await service.search(request({ q: '骑楼新篇' })))).toEqual(['骑楼新篇'])
    await db.knex.transaction(async (trx) => { await service.index.remove(trx, 'article', 100) })
    expect(titles(await service.search(request({ q: '骑楼新篇' })))).toEqual([])
  })

  it('what another process deletes or hides never shows; what it adds shows once the ranking expires', async () => {
    const service = searchService({ repo: countingRepo(), members })
    const before = titles(await service.search(request()))
    expect(before[0]).toBe('骑楼第1号')
    // Deleted and made members-only elsewhere: the kept ranking still holds them, the page does not.
    await db.knex('search_documents').where({ kind: 'article', ref_id: 1 }).delete()
    await db.knex('search_documents').where({ kind: 'article', ref_id: 2 }).update({ audience: 'members' })
    const after = titles(await service.search(request({ now: now + 1 })))
    expect(engineCalls).toBe(1)
    expect(after).not.toContain('骑楼第1号')
    expect(after).not.toContain('骑楼第2号')
    expect(after).toEqual(before.filter((t) => t !== '骑楼第1号' && t !== '骑楼第2号'))
    // Added elsewhere: not in the kept ranking, found when it expires.
    await writtenElsewhere(doc(200, '骑楼新来的', { createdAt: now }))
    expect(titles(await service.search(request({ now: now + 2 })))).not.toContain('骑楼新来的')
    const later = now + RANKING_CACHE_MS / 1000
    expect(titles(await service.search(request({ now: later })))).toContain('骑楼新来的')
    expect(engineCalls).toBe(2)
  })

  // The search reads on a connection of its own while the write is open: MariaDB's pool, or on SQLite the
  // worker thread's connection (src/features/search/ranker.ts), as the app's search does.
  it('a search that read before a write committed does not keep its ranking past the commit', async () => {
    const ranker = db.config.client === 'sqlite' ? workerRanker(db.config.filename) : undefined
    const service = searchService({ repo: countingRepo(), members, ranker })
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    const writing = db.knex.transaction(async (trx) => {
      await service.index.put(trx, doc(300, '骑楼未提交', { createdAt: now }))
      await held
    })
    // Another connection, before the commit: nothing yet (and that ranking is made after the write began).
    expect(titles(await service.search(request({ q: '骑楼未提交' })))).toEqual([])
    release()
    await writing
    expect(titles(await service.search(request({ q: '骑楼未提交' })))).toEqual(['骑楼未提交'])
    await service.close()
  })
})
