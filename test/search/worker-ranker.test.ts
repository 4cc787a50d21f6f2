import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { searchRepository, type MatchFilter } from '../../src/features/search/repository'
import { inProcessRanker, workerRanker } from '../../src/features/search/ranker'
import { indexText, queryTerms } from '../../src/lib/search-text'
import { PHRASES } from '../../src/db/bulk-seed'

/**
 * SQLite: the candidates are read and ranked in a worker thread on its own connection (workerRanker).
 * It must answer what the app's own thread would, see what the app commits, and survive its thread dying.
 */
describe('the search worker thread on SQLite', () => {
  let db: TestDatabase
  let worker: ReturnType<typeof workerRanker>
  const now = 1_800_000_000
  const firstPage = { start: 0, count: 10 }
  const filter = (q: string): MatchFilter => ({ terms: queryTerms(q), kinds: ['article', 'thread', 'post'], audiences: ['all'], until: now })
  const insert = async (id: number, title: string, body: string): Promise<void> => {
    await db.knex('search_documents').insert({
      kind: id % 3 === 0 ? 'post' : 'article', ref_id: id, parent_id: null, scope_id: 1, audience: 'all', listed: true, author_id: 1,
      created_at: now - 1000 + id, title, body, title_terms: indexText(title), body_terms: indexText(body)
    })
  }

  beforeAll(async () => {
    db = await createTestDatabase('sqlite')
    // 600 documents, so that a common word has more matches than are ranked (501).
    for (let i = 1; i <= 600; i++) await insert(i, `第${i}篇：${PHRASES[i % PHRASES.length] ?? ''}`, `${PHRASES[(i * 7) % PHRASES.length] ?? ''}，${PHRASES[(i * 3 + 1) % PHRASES.length] ?? ''}。`)
    if (db.config.client !== 'sqlite') throw new Error('expected a SQLite test database')
    worker = workerRanker(db.config.filename)
  })
  afterAll(async () => {
    await worker.close()
    await db.destroy()
  })

  it('ranks in another thread exactly as the app’s thread does', async () => {
    const here = inProcessRanker(searchRepository(db.knex))
    expect(worker.threads()).toBe(0) // started by the first search, not before
    for (const q of ['骑楼', '海风 老街', '早茶', '童书 图书馆', '第5', '没有这个词']) {
      const expected = await here.rank(filter(q), [q], firstPage)
      expect(expected).not.toBeNull()
      expect({ q, ranking: await worker.rank(filter(q), [q], firstPage) }).toEqual({ q, ranking: expected })
    }
    expect(worker.threads()).toBe(1)
    const common = await worker.rank(filter('第'), ['第'], { start: 20, count: 10 })
    expect(common?.ranking).toMatchObject({ total: 501 })
    expect(common?.ranking.ids).toHaveLength(500)
    // The rows of the slice asked for come back with the ranking, in its order, with what a result shows.
    expect(common?.shown.map((row) => row.id)).toEqual(common?.ranking.ids.slice(20, 30))
    expect(common?.shown[0]).toMatchObject({ kind: expect.any(String), ref_id: common?.shown[0]?.id, scope_id: 1, author_id: 1, parent_id: null })
  })

  it('sees what the app committed on its own connection', async () => {
    expect((await worker.rank(filter('榴莲'), ['榴莲'], firstPage))?.ranking.ids).toEqual([])
    await insert(601, '榴莲节', '今年的榴莲节在海边')
    expect((await worker.rank(filter('榴莲'), ['榴莲'], firstPage))?.ranking.total).toBe(1)
  })

  it('goes on after its thread dies: the next search gets a new one', async () => {
    await worker.rank(filter('骑楼'), ['骑楼'], firstPage)
    const [thread] = worker.pool.threads
    if (thread === undefined) throw new Error('no worker thread')
    // Ended from outside, as a crash would end it.
    await thread.terminate()
    expect((await worker.rank(filter('骑楼'), ['骑楼'], firstPage))?.ranking.total).toBeGreaterThan(0)
    expect(worker.threads()).toBe(1)
    expect(worker.pool.threads[0]).not.toBe(thread)
  })
})
