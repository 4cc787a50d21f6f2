import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, LOCAL_CLIENTS_UNLIMITED, login } from '../helpers/app'
import { createGroupWithBoard } from '../forum/factories'
import { pageToken, postThread, sendReply } from '../forum/helpers'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { postRegister, registration } from './_helpers'
import { VERIFY_PER_HOUR } from '../../src/features/members/account-links'
import type supertest from 'supertest'

/** E-mail verification (站点设置 → 发表内容前须验证 Email): a link at registration and on e-mail change; posting waits for it. */
describe.each(dialects)('e-mail verification on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let aid: number

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, publishedAt: ctx.t.clock.now() - 60 })
    // The new-member rules (silence after registering, flood interval) are not what is tested here.
    await ctx.t.app.settings.set('new_member_silence', '0')
    await ctx.t.app.settings.set('flood_interval', '0')
    await ctx.t.app.settings.set('new_member_flood_interval', '0')
  })
  afterEach(async () => { await ctx.t.app.settings.set('email_verification_required', '0') })

  /** The newest verification link mailed to `address`, as a path (mail waits in the outbox: no SMTP here). */
  async function verifyPath (address: string): Promise<string> {
    const row = await ctx.db.knex('mail_outbox').where({ to_address: address }).orderBy('id', 'desc').first()
    expect(row?.subject).toMatch(/请验证您的 Email 地址/)
    const m = /https?:\/\/\S+(\/email\/verify\/[A-Za-z0-9_-]{43})/.exec(String(row?.text_body))
    if (m?.[1] === undefined) throw new Error('no verification link')
    return m[1]
  }

  async function newMember (): Promise<{ agent: supertest.Agent, email: string, username: string }> {
    const agent = ctx.t.agent()
    const fields = registration()
    expect((await postRegister(agent, fields)).status).toBe(303)
    return { agent, email: fields.email, username: fields.username }
  }

  async function comment (agent: supertest.Agent, message: string): Promise<supertest.Response> {
    const page = await agent.get(`/article/${aid}`).expect(200)
    return await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(page.text), message })
  }

  it('mails a link at registration; until it is followed the member reads and reacts but cannot post', async () => {
    const { agent, email, username } = await newMember()
    expect(await ctx.db.knex('users').where({ username }).first('email_verified_at')).toEqual({ email_verified_at: null })
    await ctx.t.app.settings.set('email_verification_required', '1')

    const refused = await comment(agent, '还没验证的评论')
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('请先验证您的 Email 地址')
    expect(refused.text).toContain('href="/email/verify"')
    expect(await countRows(ctx.db.knex, 'comments', { body: '还没验证的评论' })).toBe(0)
    // Reading and reacting are not posting.
    await agent.get(`/article/${aid}`).expect(200)
    const page = await agent.get(`/article/${aid}`)
    await agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(page.text), kind: 'xianhua' }).expect(303)

    const path = await verifyPath(email)
    const done = await ctx.t.agent().get(path).expect(200)
    expect(done.text).toContain('Email 地址已验证')
    expect((await comment(agent, '验证后的评论')).status).toBe(303)
    expect(await countRows(ctx.db.knex, 'comments', { body: '验证后的评论' })).toBe(1)
    // The link works once.
    expect((await ctx.t.agent().get(path)).status).toBe(400)
  })

  it('holds back forum threads and replies too until the address is verified', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const verified = await createUser(ctx.db.knex)
    const threadId = await postThread(ctx.t, await login(ctx.t.agent(), verified.username, verified.password), boardId, '已验证会员的主题')
    const { agent, email } = await newMember()
    await ctx.t.app.settings.set('email_verification_required', '1')
    const newThread = async (title: string): Promise<supertest.Response> =>
      await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: await pageToken(agent, '/forum'), title, body: '未验证会员的正文' })

    const thread = await newThread('未验证会员的主题')
    expect(thread.status).toBe(403)
    expect(thread.text).toContain('请先验证您的 Email 地址')
    expect(thread.text).toContain('href="/email/verify"')
    expect(await countRows(ctx.db.knex, 'threads', { title: '未验证会员的主题' })).toBe(0)
    const reply = await sendReply(agent, threadId, '未验证会员的回复')
    expect(reply.status).toBe(403)
    expect(reply.text).toContain('请先验证您的 Email 地址')
    expect(await countRows(ctx.db.knex, 'posts', { body: '未验证会员的回复' })).toBe(0)
    // Reading the board and the thread is not posting.
    await agent.get(`/forum/${boardId}`).expect(200)
    await agent.get(`/thread/${threadId}`).expect(200)

    await ctx.t.agent().get(await verifyPath(email)).expect(200)
    expect((await newThread('验证后的主题')).status).toBe(303)
    expect(await countRows(ctx.db.knex, 'threads', { title: '验证后的主题' })).toBe(1)
    expect((await sendReply(agent, threadId, '验证后的回复')).status).toBe(303)
    expect(await countRows(ctx.db.knex, 'posts', { body: '验证后的回复' })).toBe(1)
  })

  it('lets an unverified member post while the setting is off', async () => {
    const { agent } = await newMember()
    expect((await comment(agent, '设置关闭时的评论')).status).toBe(303)
  })

  it('takes verification away on an e-mail change and mails the new address; the old link no longer verifies', async () => {
    const { agent, email } = await newMember()
    const oldLink = await verifyPath(email)
    const settings = await agent.get('/settings').expect(200)
    expect(settings.text).toContain('（未验证）')
    await ctx.t.agent().get(await verifyPath(email)).expect(200)
    expect((await agent.get('/settings')).text).toContain('（已验证）')

    const page = await agent.get('/settings')
    const newEmail = `changed-${email}`
    const res = await agent.post('/settings').type('form').send({ _csrf: csrfFrom(page.text), form: 'email', email: newEmail, emailPassword: 'secret-pass-1' })
    expect(res.status).toBe(303)
    expect((await agent.get('/settings')).text).toContain('（未验证）')
    await ctx.t.app.settings.set('email_verification_required', '1')
    expect((await comment(agent, '换了地址')).status).toBe(403)
    expect((await ctx.t.agent().get(oldLink)).status).toBe(400)
    await ctx.t.agent().get(await verifyPath(newEmail)).expect(200)
    expect((await comment(agent, '新地址验证后')).status).toBe(303)
  })

  it('resends the mail on request, at most 3 an hour', async () => {
    const { agent, email } = await newMember()
    const resend = async (): Promise<string> => {
      const page = await agent.get('/email/verify').expect(200)
      expect(page.text).toContain('尚未验证')
      await agent.post('/email/verify').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
      return (await agent.get('/email/verify')).text
    }
    // Registration sent one: two more, then "too often".
    expect(await resend()).toContain('验证邮件已发送')
    expect(await resend()).toContain('验证邮件已发送')
    expect(await resend()).toContain('发送太频繁')
    expect(await countRows(ctx.db.knex, 'mail_outbox', { to_address: email })).toBe(VERIFY_PER_HOUR)
  })

  it('does not hold back accounts that were there before verification existed, or staff', async () => {
    await ctx.t.app.settings.set('email_verification_required', '1')
    const old = await createUser(ctx.db.knex, { username: 'oldtimer' })
    const agent = ctx.t.agent()
    const page = await agent.get('/login')
    await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: old.username, password: old.password }).expect(303)
    expect((await comment(agent, '老会员的评论')).status).toBe(303)
  })
})
