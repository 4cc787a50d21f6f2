import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, login, type TestApp } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const ua = (n: number | string): string => `Mozilla/5.0 (Reader ${n}) Firefox/120.0`

describe.each(dialects)('guest article micro-cache and query budget on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp
  let articleId: number
  let member: { username: string, password: string }
  const queries: string[] = []

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    t = await buildTestApp(db, { guestCacheMs: 1000, viewFlushIntervalMs: 3_600_000 })
    const author = await createUser(db.knex)
    member = await createUser(db.knex)
    articleId = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: author.id, views: 10 })
    db.knex.on('query', (q: { sql: string }) => { queries.push(q.sql) })
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  const viewsShown = (html: string): number => Number(/id="view-count">(\d+)</.exec(html)?.[1])

  it('serves a warm guest article page within the query budget (at most 3 queries) and still counts every view', async () => {
    await t.agent().get(`/article/${articleId}`).set('User-Agent', ua(0)).expect(200)
    queries.length = 0
    const second = await t.agent().get(`/article/${articleId}`).set('User-Agent', ua(1)).expect(200)
    expect(queries.length).toBeLessThanOrEqual(3)
    expect(viewsShown(second.text)).toBe(12)
    const third = await t.agent().get(`/article/${articleId}`).set('User-Agent', ua(2)).expect(200)
    expect(viewsShown(third.text)).toBe(13)
    await t.app.viewCounts.flush()
    const row = await db.knex('articles').where({ id: articleId }).first<{ views: number }>('views')
    expect(Number(row?.views)).toBe(13)
  })

  it('renders personal pages for members and fresh pages after the cache expires', async () => {
    await db.knex('articles').where({ id: articleId }).update({ title: '标题已修改' })
    const guest = await t.agent().get(`/article/${articleId}`).set('User-Agent', ua(3)).expect(200)
    expect(guest.text).not.toContain('标题已修改') // still the cached copy within the second
    const agent = t.agent().set('User-Agent', ua('member'))
    await login(agent, member.username, member.password)
    const mine = await agent.get(`/article/${articleId}`).expect(200)
    expect(mine.text).toContain(`>${member.username}</a>`) // their own header, never a guest's cached copy
    t.clock.advance(2)
    const later = await t.agent().get(`/article/${articleId}`).set('User-Agent', ua(4)).expect(200)
    expect(later.text).toContain('标题已修改')
  })
})
