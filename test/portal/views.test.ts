import { dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const ua = (n: number | string): string => `Mozilla/5.0 (Visitor ${n}) Chrome/120.0 Safari/537.36`

async function storedViews (db: TestDatabase, id: number): Promise<number> {
  const row = await db.knex('articles').where({ id }).first<{ views: number }>('views')
  return Number(row?.views)
}

describe.each(dialects)('article view counting on %s', (dialect) => {
  // Flushed by hand in these tests, so what is buffered and what is written can be told apart.
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 } })
  let categoryId: number
  let authorId: number

  beforeAll(async () => {
    authorId = (await createUser(ctx.db.knex)).id
    categoryId = await createCategory(ctx.db.knex)
  })

  it('counts N concurrent distinct visitors exactly once each, and the page includes the current view', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId, views: 100 })
    const N = 40
    const pages = await Promise.all(Array.from({ length: N }, async (_, i) => await ctx.t.agent().get(`/article/${id}`).set('User-Agent', ua(i)).expect(200)))
    const shown = pages.map((p) => Number(/id="view-count">(\d+)</.exec(p.text)?.[1]))
    expect(Math.max(...shown)).toBe(100 + N)
    expect(Math.min(...shown)).toBeGreaterThan(100)
    // Buffered: nothing written yet, then one flush adds exactly N.
    expect(await storedViews(ctx.db, id)).toBe(100)
    await ctx.t.app.viewCounts.flush()
    expect(await storedViews(ctx.db, id)).toBe(100 + N)
  })

  it('does not count a refresh by the same visitor within the window, and counts again after it', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId, views: 0 })
    const agent = ctx.t.agent().set('User-Agent', ua('refresh'))
    await agent.get(`/article/${id}`).expect(200)
    const again = await agent.get(`/article/${id}`).expect(200)
    expect(again.text).toContain('id="view-count">1<')
    ctx.t.clock.advance(8 * 3600 + 1)
    await agent.get(`/article/${id}`).expect(200)
    await ctx.t.app.viewCounts.flush()
    expect(await storedViews(ctx.db, id)).toBe(2)
  })

  it('counts a member once however their user agent changes', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId })
    const member = await createUser(ctx.db.knex)
    const agent = ctx.t.agent().set('User-Agent', ua('member'))
    await login(agent, member.username, member.password)
    await agent.get(`/article/${id}`).set('User-Agent', ua('member-a')).expect(200)
    await agent.get(`/article/${id}`).set('User-Agent', ua('member-b')).expect(200)
    await ctx.t.app.viewCounts.flush()
    expect(await storedViews(ctx.db, id)).toBe(1)
  })

  it('does not count crawlers or HEAD requests', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId })
    await ctx.t.agent().get(`/article/${id}`).set('User-Agent', 'Mozilla/5.0 (compatible; Baiduspider/2.0)').expect(200)
    await ctx.t.agent().get(`/article/${id}`).set('User-Agent', 'Googlebot/2.1').expect(200)
    await ctx.t.agent().head(`/article/${id}`).set('User-Agent', ua('head')).expect(200)
    await ctx.t.app.viewCounts.flush()
    expect(await storedViews(ctx.db, id)).toBe(0)
  })

  it('counts every request when the dedupe window setting is 0', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId })
    await ctx.db.knex('settings').insert({ key: 'view_dedupe_hours', value: '0' })
    ctx.t.clock.advance(5) // past the settings cache
    const agent = ctx.t.agent().set('User-Agent', ua('every'))
    for (let i = 0; i < 5; i++) await agent.get(`/article/${id}`).expect(200)
    await ctx.t.app.viewCounts.flush()
    expect(await storedViews(ctx.db, id)).toBe(5)
    await ctx.db.knex('settings').where({ key: 'view_dedupe_hours' }).delete()
    ctx.t.clock.advance(5)
  })

  it('adds up the views of two app instances on one database', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId, views: 7 })
    const second = await ctx.secondApp()
    try {
      await Promise.all([
        ...Array.from({ length: 15 }, async (_, i) => await ctx.t.agent().get(`/article/${id}`).set('User-Agent', ua(`a${i}`)).expect(200)),
        ...Array.from({ length: 12 }, async (_, i) => await second.agent().get(`/article/${id}`).set('User-Agent', ua(`b${i}`)).expect(200))
      ])
      await Promise.all([ctx.t.app.viewCounts.flush(), second.app.viewCounts.flush()])
      expect(await storedViews(ctx.db, id)).toBe(7 + 15 + 12)
    } finally {
      await second.close()
    }
  })

  it('flushes buffered views when the app closes (graceful shutdown)', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId })
    const other = await ctx.secondApp()
    await other.agent().get(`/article/${id}`).set('User-Agent', ua('closing')).expect(200)
    expect(await storedViews(ctx.db, id)).toBe(0)
    await other.close()
    expect(await storedViews(ctx.db, id)).toBe(1)
  })
})
