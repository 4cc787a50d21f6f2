import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

describe.each(dialects)('moderation reaches the other features on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })

  it('links the ban form from a profile and a comment for moderators only, and hides recent comments when asked', async () => {
    const mod = await createUser(ctx.db.knex, { role: 'moderator' })
    const spammer = await createUser(ctx.db.knex)
    const other = await createUser(ctx.db.knex)
    const articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: other.id })
    const now = ctx.t.clock.now()
    await ctx.db.knex('comments').insert([
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告一', created_at: now - 3600, list_position: 2 },
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '广告二', created_at: now - 60, list_position: 3 },
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '很久以前的评论', created_at: now - 30 * 86400, list_position: 1 },
      { article_id: articleId, author_id: other.id, status: 'visible', body: '正常评论', created_at: now - 30, list_position: 4 }
    ])
    await ctx.db.knex('articles').where({ id: articleId }).update({ comment_count: 4 })

    const guestProfile = await ctx.t.agent().get(`/user/${spammer.id}`).expect(200)
    expect(guestProfile.text).not.toContain(`/mod/ban/${spammer.id}`)
    const member = ctx.t.agent()
    await login(member, other.username, other.password)
    expect((await member.get(`/user/${spammer.id}`)).text).not.toContain(`/mod/ban/${spammer.id}`)
    expect((await member.get(`/article/${articleId}`)).text).not.toContain(`/mod/ban/${spammer.id}`)

    const agent = ctx.t.agent()
    await login(agent, mod.username, mod.password)
    const profile = await agent.get(`/user/${spammer.id}`).expect(200)
    expect(profile.text).toContain(`<a href="/mod/ban/${spammer.id}">禁止发言</a>`)
    expect(profile.text).toContain(`<a href="/mod/ban/${spammer.id}?type=visit">禁止访问</a>`)
    const page = await agent.get(`/article/${articleId}`).expect(200)
    expect(page.text).toContain(`href="/mod/ban/${spammer.id}" rel="nofollow">禁止发言</a>`)

    const form = await agent.get(`/mod/ban/${spammer.id}`).expect(200)
    await agent.post(`/mod/ban/${spammer.id}`).type('form')
      .send({ _csrf: csrfFrom(form.text), type: 'post', duration: '7', reason: '发布广告', hide_recent: '1' })
      .expect(303)
    const statuses = await ctx.db.knex('comments').where({ article_id: articleId }).orderBy('id').select('body', 'status')
    expect(statuses).toEqual([
      { body: '广告一', status: 'deleted' },
      { body: '广告二', status: 'deleted' },
      { body: '很久以前的评论', status: 'visible' },
      { body: '正常评论', status: 'visible' }
    ])
    expect(Number((await ctx.db.knex('articles').where({ id: articleId }).first('comment_count')).comment_count)).toBe(2)
    const audit = await ctx.db.knex('moderation_log').where({ action: 'ban', target_user_id: spammer.id }).first('after_state')
    expect(String(audit.after_state)).toContain('"hiddenComments":2')
    const after = await ctx.t.agent().get(`/article/${articleId}`).expect(200)
    expect(after.text).not.toContain('广告一')
    expect(after.text).toContain('正常评论')
  })
})
