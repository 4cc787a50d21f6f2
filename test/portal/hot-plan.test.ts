import type { Knex } from 'knex'
import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { portalRepository } from '../../src/features/portal/repository'

/**
 * 热门 on SQLite (src/features/portal/repository.ts): the rankings walk a views index and stop at the
 * list's ten. Given the date condition as an indexable column, SQLite's planner took the
 * (status, published_at) index and sorted every visible article in a temporary B-tree: 40-60 ms at
 * 100,000 articles, on the event loop at every page render. SQLite only, by design: it is SQLite's planner
 * that chose the sort (MariaDB's EXPLAIN on the bench's large set shows it on the views index either way).
 */
describe('the 热门 queries\' plan on sqlite', () => {
  let db: TestDatabase
  beforeAll(async () => { db = await createTestDatabase('sqlite') })
  afterAll(async () => { await db.destroy() })

  /** The plan SQLite makes for each statement `run` sends. */
  async function plansOf (knex: Knex, run: () => Promise<unknown>): Promise<string[]> {
    const statements: Array<{ sql: string, bindings: readonly unknown[] }> = []
    const record = (q: { sql: string, bindings?: readonly unknown[] }): void => { statements.push({ sql: q.sql, bindings: q.bindings ?? [] }) }
    knex.on('query', record)
    try { await run() } finally { knex.off('query', record) }
    const plans: string[] = []
    for (const s of statements) {
      const rows = await knex.raw<Array<{ detail: string }>>(`EXPLAIN QUERY PLAN ${s.sql}`, s.bindings as Knex.RawBinding[])
      plans.push(rows.map((r) => r.detail).join(' | '))
    }
    return plans
  }

  it('walks the views indexes without sorting', async () => {
    const repo = portalRepository(db.knex, () => 1_800_000_000)
    const inCategory = await plansOf(db.knex, async () => await repo.hottestInCategory(3, 10))
    const since = await plansOf(db.knex, async () => await repo.hottestSince(1_790_000_000, 10))
    expect(inCategory).toEqual([expect.stringContaining('articles_category_id_status_views_index')])
    expect(since).toEqual([expect.stringContaining('articles_status_views_index')])
    for (const plan of [...inCategory, ...since]) expect(plan).not.toContain('TEMP B-TREE')
  })
})
