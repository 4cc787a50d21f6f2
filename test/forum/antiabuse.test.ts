import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser, banUser } from '../helpers/factories'
import { createGroupWithBoard } from './factories'
import { BROWSER, pageToken, postThread, sendReply, staffPost } from './helpers'

describe.each(dialects)('forum anti-abuse rules on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let boardId: number
  let moderator: CreatedUser

  beforeAll(async () => {
    boardId = (await createGroupWithBoard(ctx.db.knex, { boardName: '街坊闲聊' })).boardId
    moderator = await createUser(ctx.db.knex, { username: '版主阿海', role: 'moderator' })
  })

  const as = async (u: CreatedUser) => await login(ctx.t.agent().set('User-Agent', BROWSER), u.username, u.password)
  const threads = async (): Promise<number> => await countRows(ctx.db.knex, 'threads')
  const posts = async (): Promise<number> => await countRows(ctx.db.knex, 'posts')

  async function newThread (agent: Awaited<ReturnType<typeof as>>, title: string, body: string) {
    const form = await agent.get(`/forum/${boardId}/new`).expect(200)
    return await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title, body })
  }

  it('applies flood control to threads and replies alike (one slot per member)', async () => {
    const member = await createUser(ctx.db.knex)
    const agent = await as(member)
    const tid = await postThread(ctx.t, agent, boardId, '第一帖')
    const before = [await threads(), await posts()]
    const second = await newThread(agent, '马上又发一帖', '内容')
    expect(second.status).toBe(429)
    expect(second.text).toContain('您两次发表间隔少于 15 秒')
    const reply = await sendReply(agent, tid, '马上回复')
    expect(reply.status).toBe(429)
    expect([await threads(), await posts()]).toEqual(before)
    ctx.t.clock.advance(16)
    expect((await sendReply(agent, tid, '过了十五秒再回复')).status).toBe(303)
  })

  it('refuses members banned from posting, and lets them post again when the ban expires', async () => {
    const member = await createUser(ctx.db.knex)
    const agent = await as(member)
    const tid = await postThread(ctx.t, agent, boardId, '被禁言前的帖子')
    await banUser(ctx.db.knex, member.id, { type: 'post', until: ctx.t.clock.now() + 3600, reason: '发广告' })
    ctx.t.clock.advance(60)
    const before = [await threads(), await posts()]
    const form = await agent.get(`/forum/${boardId}/new`)
    expect(form.status).toBe(403)
    expect(form.text).toContain('您已被禁止发言')
    const token = await pageToken(agent, '/forum')
    expect((await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '广告', body: '广告' })).status).toBe(403)
    const reply = await sendReply(agent, tid, '广告回复')
    expect(reply.status).toBe(403)
    expect(reply.text).toContain('发广告')
    const page = await agent.get(`/thread/${tid}`).expect(200)
    expect(page.text).not.toContain(`action="/thread/${tid}/reply"`)
    expect([await threads(), await posts()]).toEqual(before)
    ctx.t.clock.advance(3600)
    expect((await sendReply(agent, tid, '解封了')).status).toBe(303)
  })

  it('keeps members banned from visiting out of the forum entirely', async () => {
    const member = await createUser(ctx.db.knex)
    const agent = await as(member)
    await banUser(ctx.db.knex, member.id, { type: 'visit', until: null, reason: '恶意刷屏' })
    const res = await agent.get('/forum')
    expect(res.status).toBe(403)
    expect(res.text).toContain('您已被禁止访问')
  })

  it('guests cannot post', async () => {
    const member = await createUser(ctx.db.knex)
    const tid = await postThread(ctx.t, await as(member), boardId, '游客回帖测试')
    const guest = ctx.t.agent().set('User-Agent', BROWSER)
    await guest.get(`/forum/${boardId}/new`).expect(401)
    const token = await pageToken(guest, '/login')
    expect((await guest.post(`/thread/${tid}/reply`).type('form').send({ _csrf: token, body: '游客' })).status).toBe(401)
    const page = await guest.get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain('您需要登录后才可以回帖')
  })

  it('applies the word filter: block refuses, replace rewrites title and body, moderate sends to review until approved', async () => {
    // Through the anti-abuse module the app uses, so its cached word list is refreshed at once.
    const words = ctx.t.app.antiAbuse.words
    for (const [word, action] of [['代开发票', 'block'], ['傻瓜', 'replace'], ['私彩', 'moderate']] as const) {
      await words.add({ word, action, by: null, now: ctx.t.clock.now() })
    }
    const member = await createUser(ctx.db.knex)
    const agent = await as(member)
    ctx.t.clock.advance(600)
    const blocked = await newThread(agent, '正常标题', '专业代开发票')
    expect(blocked.status).toBe(400)
    expect(blocked.text).toContain('您的帖子包含不允许的词语')

    const tid = await postThread(ctx.t, agent, boardId, '别当傻瓜', '傻瓜才信')
    const row = await ctx.db.knex('threads').where({ id: tid }).first<{ title: string }>('title')
    expect(row.title).toBe('别当**')
    expect((await ctx.db.knex('posts').where({ thread_id: tid }).first<{ body: string }>('body')).body).toBe('**才信')

    const boardBefore = await ctx.db.knex('boards').where({ id: boardId }).first<{ post_count: number }>('post_count')
    ctx.t.clock.advance(600)
    expect((await sendReply(agent, tid, '有人卖私彩')).status).toBe(303)
    const pending = await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number, status: string }>('id', 'status')
    expect(pending.status).toBe('pending')
    expect((await ctx.db.knex('boards').where({ id: boardId }).first<{ post_count: number }>('post_count')).post_count).toBe(boardBefore.post_count)
    const mine = await agent.get(`/thread/${tid}`).expect(200)
    expect(mine.text).toContain('本帖正在等待审核')
    const others = await ctx.t.agent().set('User-Agent', BROWSER).get(`/thread/${tid}`).expect(200)
    expect(others.text).toContain('该帖正在审核中')
    expect(others.text).not.toContain('有人卖私彩')

    const m = await as(moderator)
    await agent.get('/mod/posts').expect(403)
    const queue = await m.get('/mod/posts').expect(200)
    expect(queue.text).toContain(`id="review-${pending.id}"`)
    expect(queue.text).toContain(`/thread/${tid}?page=1#post-${pending.id}`)
    expect(queue.text).toContain('有人卖私彩')
    expect((await staffPost(agent, `/post/${pending.id}/approve`)).status).toBe(403)
    expect((await staffPost(m, `/post/${pending.id}/approve`)).status).toBe(303)
    expect((await ctx.db.knex('posts').where({ id: pending.id }).first<{ status: string }>('status')).status).toBe('visible')
    expect((await ctx.db.knex('boards').where({ id: boardId }).first<{ post_count: number }>('post_count')).post_count).toBe(boardBefore.post_count + 1)
    expect((await ctx.db.knex('threads').where({ id: tid }).first<{ reply_count: number }>('reply_count')).reply_count).toBe(1)
    expect(await ctx.db.knex('moderation_log').where({ action: 'post_approve', target_id: pending.id }).count<Array<{ n: number }>>({ n: '*' })).toEqual([{ n: 1 }])
    expect((await m.get('/mod/posts').expect(200)).text).not.toContain(`id="review-${pending.id}"`)
  })

  it('a ban with 同时屏蔽最近的内容 hides the member\'s recent threads and replies, counters following, older posts kept', async () => {
    const { boardId: hideBoard } = await createGroupWithBoard(ctx.db.knex)
    const spammer = await createUser(ctx.db.knex)
    const bystander = await createUser(ctx.db.knex)
    const s = await as(spammer)
    const b = await as(bystander)
    const old = await postThread(ctx.t, s, hideBoard, '很久以前的正常帖')
    ctx.t.clock.advance(10 * 86400)
    const spamThread = await postThread(ctx.t, s, hideBoard, '广告主题')
    const host = await postThread(ctx.t, b, hideBoard, '正常讨论')
    ctx.t.clock.advance(600)
    expect((await sendReply(s, host, '广告回复')).status).toBe(303)
    ctx.t.clock.advance(600)
    expect((await sendReply(b, host, '正常回复')).status).toBe(303)
    const m = await as(moderator)
    const form = await m.get(`/mod/ban/${spammer.id}`).expect(200)
    const res = await m.post(`/mod/ban/${spammer.id}`).type('form').send({ _csrf: csrfFrom(form.text), type: 'post', duration: '7', reason: '发布广告', hide_recent: '1' })
    expect(res.status).toBe(303)
    expect((await ctx.db.knex('threads').where({ id: spamThread }).first<{ status: string }>('status')).status).toBe('deleted')
    expect((await ctx.db.knex('threads').where({ id: old }).first<{ status: string }>('status')).status).toBe('visible')
    expect((await ctx.db.knex('threads').where({ id: host }).first<{ reply_count: number }>('reply_count')).reply_count).toBe(1)
    expect(await ctx.db.knex('boards').where({ id: hideBoard }).first('thread_count', 'post_count')).toEqual({ thread_count: 2, post_count: 3 })
    expect(Number((await ctx.db.knex('users').where({ id: spammer.id }).first<{ post_count: number }>('post_count')).post_count)).toBe(1)
    const page = await ctx.t.agent().set('User-Agent', BROWSER).get(`/thread/${host}`).expect(200)
    expect(page.text).toContain('该帖已被删除')
    expect(page.text).not.toContain('广告回复')
    const log = await ctx.db.knex('moderation_log').where({ action: 'ban', target_id: spammer.id }).first<{ after_state: string }>('after_state')
    expect((JSON.parse(log.after_state) as { hooks: Record<string, unknown> }).hooks.forum).toEqual({ hiddenThreads: 1, hiddenPosts: 1 })
  })
})
