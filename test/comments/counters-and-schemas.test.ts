import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

/**
 * The portal owns the articles' counters (comments and reactions move them through `app.portal`),
 * and the routes of the portal, comments, reactions and the Archiver declare their input schemas:
 * a refused field is the site's Chinese 400 naming it, and what was lenient stays lenient.
 */
describe.each(dialects)('article counters through app.portal, and route schemas, on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let articleId: number
  let author: { id: number }

  beforeAll(async () => {
    author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id })
  })

  const commentCount = async (): Promise<number> => Number((await ctx.db.knex('articles').where({ id: articleId }).first('comment_count')).comment_count)

  it('hides a banned member\'s recent comments with the count clamped at 0 when it had drifted below them', async () => {
    const spammer = await createUser(ctx.db.knex)
    const now = ctx.t.clock.now()
    await ctx.db.knex('comments').insert([
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告一', created_at: now - 60, list_position: 1 },
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告二', created_at: now - 30, list_position: 2 }
    ])
    // A drifted counter: one where there are two. Unclamped, MySQL's unsigned column refused `1 - 2`.
    await ctx.db.knex('articles').where({ id: articleId }).update({ comment_count: 1 })
    const hidden = await ctx.t.app.db.transaction(async (trx) => await ctx.t.app.comments.hideRecent({ userId: spammer.id, since: now - 3600, at: now, moderatorId: author.id }, trx))
    expect(hidden).toBe(2)
    expect(await commentCount()).toBe(0)
    expect(await ctx.db.knex('comments').where({ author_id: spammer.id, status: 'visible' }).count({ n: '*' }).first()).toEqual({ n: 0 })
  })

  it('moves reaction counters in the caller\'s transaction and reads them fresh from the primary', async () => {
    await ctx.t.app.db.transaction(async (trx) => {
      await ctx.t.app.portal.lockArticle(trx, articleId)
      await ctx.t.app.portal.adjustReactionCount(trx, articleId, { xianhua: 1, jidan: 1 })
    })
    await ctx.t.app.db.transaction(async (trx) => { await ctx.t.app.portal.adjustReactionCount(trx, articleId, { jidan: -1 }) })
    expect(await ctx.t.app.portal.reactionCounts(articleId)).toEqual({ luguo: 0, leiren: 0, woshou: 0, xianhua: 1, jidan: 0 })
  })

  it('answers a comment field that fails its schema with the Chinese 400 naming the field', async () => {
    // With a valid form token: the CSRF check comes first (a forged post is a 403, not a schema's 400).
    const agent = ctx.t.agent()
    const token = await csrfToken(agent)
    const res = await agent.post(`/article/${articleId}/comments`).set('Accept', 'application/json').set('x-csrf-token', token)
      .send({ message: { text: '不是文字' } }).expect(400)
    expect(res.body.error).toContain('“内容”')
    expect(res.body.field).toBe('message')
    const page = await agent.post(`/article/${articleId}/react`).type('form').send({ _csrf: token, kind: 'x'.repeat(17) }).expect(400)
    expect(page.text).toContain('“表态”过长')
  })

  it('stays lenient where the pages were: repeated or odd query values, non-numeric ids, unknown parameters', async () => {
    await ctx.t.agent().get('/?page=abc&page=2&utm_source=x').expect(200)
    await ctx.t.agent().get(`/article/${articleId}/comments?page=2&page=3&quote=abc`).expect(200)
    await ctx.t.agent().get(`/article/${articleId}?quote=1&quote=2&r=1`).expect(200)
    const missing = await ctx.t.agent().get('/article/abc/comments').expect(404)
    expect(missing.text).toContain('抱歉，您指定要查看的文章不存在或正在审核')
    await ctx.t.agent().get('/portal.php?mod=view&aid=7&aid=8').expect(301)
    await ctx.t.agent().get(`/archiver/aid-${articleId}.html?page=x`).expect(200)
  })
})
