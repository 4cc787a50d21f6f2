import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { BROWSER, postThread } from '../forum/helpers'
import { postBan } from '../moderation/helpers'
import { formatDateTime } from '../../src/lib/dates'

// What a member sees before typing: a new member's wait above the forms, a posting ban in place of them.
describe.each(dialects)('posting notices on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let categoryId: number

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { username: '站长', role: 'admin' })
    categoryId = await createCategory(ctx.db.knex)
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)

  it('shows a new member the wait above the comment, reply and new-thread forms, counted down by the clock, and gone after it', async () => {
    const old = await login(browser(), (await createUser(ctx.db.knex)).username, 'password123')
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const tid = await postThread(ctx.t, old, boardId, '老会员的主题')
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: admin.id })
    const fresh = await createUser(ctx.db.knex, { createdAt: ctx.t.clock.now() - 30 })
    const agent = await login(browser(), fresh.username, fresh.password)

    const article = await agent.get(`/article/${aid}`).expect(200)
    expect(article.text).toContain('新注册用户需等待 90 秒后才能发表')
    expect(article.text.indexOf('新注册用户需等待')).toBeLessThan(article.text.indexOf(`action="/article/${aid}/comments"`))
    const thread = await agent.get(`/thread/${tid}`).expect(200)
    expect(thread.text).toContain('新注册用户需等待 90 秒后才能发表')
    expect(thread.text).toContain(`action="/thread/${tid}/reply"`)
    ctx.t.clock.advance(50)
    expect((await agent.get(`/forum/${boardId}/new`).expect(200)).text).toContain('新注册用户需等待 40 秒后才能发表')
    // Submitting anyway says the same, with the time left.
    const refused = await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(article.text), message: '新人来报到' })
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('新注册用户需等待 40 秒后才能发表')

    ctx.t.clock.advance(40)
    for (const path of [`/article/${aid}`, `/thread/${tid}`, `/forum/${boardId}/new`]) {
      expect((await agent.get(path).expect(200)).text).not.toContain('新注册用户需等待')
    }
    expect((await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(article.text), message: '新人来报到' })).status).toBe(303)
    // Older members and staff never see it.
    expect((await old.get(`/article/${aid}`).expect(200)).text).not.toContain('新注册用户需等待')
  })

  it('shows a member under 禁止发言 the ban (reason, until, Discuz date) in place of the comment form and the reaction buttons', async () => {
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: admin.id })
    const member = await createUser(ctx.db.knex, { username: '被禁言者' })
    const agent = await login(browser(), member.username, member.password)
    const before = await agent.get(`/article/${aid}`).expect(200)
    await agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(before.text), kind: 'xianhua' }).expect(303)
    const reacted = await agent.get(`/article/${aid}`).expect(200)
    expect(reacted.text).toContain('10 分钟内可修改或撤销')
    expect(reacted.text).toContain(`action="/article/${aid}/comments"`)

    const adminAgent = await login(browser(), admin.username, admin.password)
    expect((await postBan(adminAgent, member.id, { reason: '连续发布广告' })).status).toBe(303)
    const ban = await ctx.db.knex('bans').where({ user_id: member.id }).first<{ expires_at: number }>('expires_at')
    const until = formatDateTime(Number(ban.expires_at), ctx.t.config.siteTimezone)
    expect(until).toMatch(/^\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}$/)

    const page = await agent.get(`/article/${aid}`).expect(200)
    const notice = `抱歉，您已被禁止发言，截止时间：${until}，理由：连续发布广告`
    expect(page.text.split(notice)).toHaveLength(3) // once for the comments, once for the reactions
    expect(page.text).not.toContain(`action="/article/${aid}/comments"`)
    expect(page.text).not.toContain(`action="/article/${aid}/react"`)
    expect(page.text).not.toContain('10 分钟内可修改或撤销')
    expect(page.text).toContain('您的表态：鲜花') // what they did stays visible
    expect(page.text).toContain('<span>鲜花</span>') // and the counts and kinds

    // A permanent ban says 永久.
    const forever = await createUser(ctx.db.knex)
    const foreverAgent = await login(browser(), forever.username, forever.password)
    expect((await postBan(adminAgent, forever.id, { duration: 'forever', reason: '屡教不改' })).status).toBe(303)
    expect((await foreverAgent.get(`/article/${aid}`).expect(200)).text).toContain('抱歉，您已被禁止发言，截止时间：永久，理由：屡教不改')
  })
})
