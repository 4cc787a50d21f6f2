import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

/**
 * The portal owns the articles' counters (comments and reactions move them through `app.portal`),
 * and the routes of the portal, comments, reactions and the Archiver declare their input schemas:
 * a refused field is the site's Chinese 400 naming it, and what was lenient stays lenient.
 */
describe.each(dialects)('article counters through app.portal, and route schemas, on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp
  let articleId: number
  let author: { id: number }

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    t = await buildTestApp(db)
    author = await createUser(db.knex)
    articleId = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: author.id })
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  const commentCount = async (): Promise<number> => Number((await db.knex('articles').where({ id: articleId }).first('comment_count')).comment_count)

  it('hides a banned member\'s recent comments with the count clamped at 0 when it had drifted below them', async () => {
    const spammer = await createUser(db.knex)
    const now = t.clock.now()
    await db.knex('comments').insert([
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告一', created_at: now - 60 },
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告二', created_at: now - 30 }
    ])
    // A drifted counter: one where there are two. Unclamped, MySQL's unsigned column refused `1 - 2`.
    await db.knex('articles').where({ id: articleId }).update({ comment_count: 1 })
    const hidden = await t.app.db.transaction(async (trx) => await t.app.comments.hideRecent({ userId: spammer.id, since: now - 3600, at: now, moderatorId: author.id }, trx))
    expect(hidden).toBe(2)
    expect(await commentCount()).toBe(0)
    expect(await db.knex('comments').where({ author_id: spammer.id, status: 'visible' }).count({ n: '*' }).first()).toEqual({ n: 0 })
  })

  it('moves reaction counters in the caller\'s transaction and reads them fresh from the primary', async () => {
    await t.app.db.transaction(async (trx) => {
      await t.app.portal.lockArticle(trx, articleId)
      await t.app.portal.adjustReactionCount(trx, articleId, { xianhua: 1, jidan: 1 })
    })
    await t.app.db.transaction(async (trx) => { await t.app.portal.adjustReactionCount(trx, articleId, { jidan: -1 }) })
    expect(await t.app.portal.reactionCounts(articleId)).toEqual({ luguo: 0, leiren: 0, woshou: 0, xianhua: 1, jidan: 0 })
  })

  it('answers a comment field that fails its schema with the Chinese 400 naming the field', async () => {
    const res = await t.agent().post(`/article/${articleId}/comments`).set('Accept', 'application/json')
      .send({ message: { text: '不是文字' } }).expect(400)
    expect(res.body.error).toContain('“内容”')
    expect(res.body.field).toBe('message')
    const page = await t.agent().post(`/article/${articleId}/react`).type('form').send({ kind: 'x'.repeat(17) }).expect(400)
    expect(page.text).toContain('“表态”过长')
  })

  it('stays lenient where the pages were: repeated or odd query values, non-numeric ids, unknown parameters', async () => {
    await t.agent().get('/?page=abc&page=2&utm_source=x').expect(200)
    await t.agent().get(`/article/${articleId}/comments?page=2&page=3&quote=abc`).expect(200)
    await t.agent().get(`/article/${articleId}?quote=1&quote=2&r=1`).expect(200)
    const missing = await t.agent().get('/article/abc/comments').expect(404)
    expect(missing.text).toContain('抱歉，您指定要查看的文章不存在或正在审核')
    await t.agent().get('/portal.php?mod=view&aid=7&aid=8').expect(301)
    await t.agent().get(`/archiver/aid-${articleId}.html?page=x`).expect(200)
  })
})
