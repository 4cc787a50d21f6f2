import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { pageToken, postReply, postThread, sendReply, staffPost } from '../forum/helpers'
import { postComment } from '../comments/helpers'

interface NoticeRow { id: number, user_id: number, kind: string, actor_id: number | null, actor_count: number, read_at: number | null, title: string }

describe.each(dialects)('提醒 notifications on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let boardId: number

  beforeAll(async () => {
    boardId = (await createGroupWithBoard(ctx.db.knex)).boardId
  })

  const notices = async (userId: number): Promise<NoticeRow[]> =>
    await ctx.db.knex<NoticeRow>('notifications').where({ user_id: userId }).orderBy('id')
  const unread = async (userId: number): Promise<number> =>
    Number((await ctx.db.knex('users').where({ id: userId }).first<{ unread_notifications: number }>('unread_notifications'))?.unread_notifications)
  const member = async (): Promise<{ user: CreatedUser, agent: supertest.Agent }> => {
    const user = await createUser(ctx.db.knex)
    return { user, agent: await login(ctx.t.agent(), user.username, user.password) }
  }

  it('a reply tells the thread author once, shows in the header count, and never tells the replier', async () => {
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '求助：路由器怎么设置')
    await postReply(ctx.t, a.agent, threadId, '自己顶一下，不该提醒自己')
    expect(await notices(a.user.id)).toHaveLength(0)
    await postReply(ctx.t, b.agent, threadId, '先恢复出厂设置再试试')
    const rows = await notices(a.user.id)
    expect(rows.map((r) => [r.kind, r.actor_id])).toEqual([['thread_reply', b.user.id]])
    expect(await notices(b.user.id)).toHaveLength(0)
    expect(await unread(a.user.id)).toBe(1)
    const page = await a.agent.get('/forum').expect(200)
    expect(page.text).toMatch(/<a href="\/notifications"[^>]*>提醒 <em class="notice-count">• 1<\/em><\/a>/)
  })

  it('a quoted author is told once (as a quote), the thread author once (as a reply), the quoter never', async () => {
    const a = await member()
    const b = await member()
    const c = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '讨论：周末去哪儿')
    const location = await postReply(ctx.t, b.agent, threadId, '去爬山吧')
    const postId = Number(/#post-(\d+)/.exec(location)?.[1])
    const form = await c.agent.get(`/thread/${threadId}?quote=${postId}`).expect(200)
    const quoted = /<textarea name="body"[^>]*>([\s\S]*?)<\/textarea>/.exec(form.text)?.[1] ?? ''
    const body = quoted.replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&') + '同意，山上凉快'
    expect(body).toContain(`**${b.user.username}**`)
    await postReply(ctx.t, c.agent, threadId, body)
    expect((await notices(b.user.id)).map((r) => r.kind)).toEqual(['post_quote'])
    expect((await notices(a.user.id)).map((r) => r.kind)).toEqual(['thread_reply', 'thread_reply'])
    expect(await notices(c.user.id)).toHaveLength(0)
  })

  it('@mentions: linked in the floor, each person told once, at most ten, never oneself', async () => {
    const a = await member()
    const named = await Promise.all(Array.from({ length: 11 }, async () => await createUser(ctx.db.knex)))
    const mentions = named.map((u) => `@${u.username}`).join(' ')
    const threadId = await postThread(ctx.t, a.agent, boardId, '点名', `${mentions} @${a.user.username} @${named[0]?.username ?? ''} 来看看`)
    const told = await Promise.all(named.map(async (u) => (await notices(u.id)).length))
    expect(told).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    expect(await notices(a.user.id)).toHaveLength(0)
    const page = await ctx.t.agent().get(`/thread/${threadId}`).expect(200)
    expect(page.text).toContain(`<a href="/u/${named[0]?.username ?? ''}" class="mention">@${named[0]?.username ?? ''}</a>`)
    const first = named[0]
    if (first === undefined) throw new Error('no member')
    await ctx.t.agent().get(`/u/${first.username.toUpperCase()}`).expect(302).expect('location', `/user/${first.id}`)
    await ctx.t.agent().get('/u/nobody-here').expect(404)
  })

  it('a blocked member cannot notify or mention the blocker, and their floors collapse behind <details>', async () => {
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '屏蔽测试')
    const token = await pageToken(a.agent, `/user/${b.user.id}`)
    await a.agent.post(`/user/${b.user.id}/block`).type('form').send({ _csrf: token }).expect(303).expect('location', `/user/${b.user.id}`)
    expect((await a.agent.get(`/user/${b.user.id}`).expect(200)).text).toContain('取消屏蔽')
    await postReply(ctx.t, b.agent, threadId, `@${a.user.username} 看我`)
    const other = await postThread(ctx.t, b.agent, boardId, '另一个', `@${a.user.username} 在吗`)
    expect(other).toBeGreaterThan(0)
    expect(await notices(a.user.id)).toHaveLength(0)
    const page = await a.agent.get(`/thread/${threadId}`).expect(200)
    expect(page.text).toContain('<details class="blocked-post"><summary class="xg1">已屏蔽该用户的内容（点击展开）</summary>')
    expect((await b.agent.get(`/thread/${threadId}`).expect(200)).text).not.toContain('blocked-post')
    const list = await a.agent.get('/settings/blocks').expect(200)
    expect(list.text).toContain(b.user.username)
    await a.agent.post(`/user/${b.user.id}/unblock`).type('form').send({ _csrf: csrfFrom(list.text), return: '/settings/blocks' }).expect(303).expect('location', '/settings/blocks')
    await postReply(ctx.t, b.agent, threadId, '解除屏蔽后再回复')
    expect((await notices(a.user.id)).map((r) => r.kind)).toEqual(['thread_reply'])
    // Blocking oneself is refused with a reason; nothing stored.
    await a.agent.post(`/user/${a.user.id}/block`).type('form').send({ _csrf: token }).expect(400)
    expect(await ctx.db.knex('member_blocks').where({ user_id: a.user.id })).toHaveLength(0)
  })

  it('a blocked member\'s comments collapse behind <details> for the blocker only, as floors do', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, title: '屏蔽评论的文章' })
    const a = await member()
    const b = await member()
    const c = await member()
    const token = await pageToken(a.agent, `/user/${b.user.id}`)
    await a.agent.post(`/user/${b.user.id}/block`).type('form').send({ _csrf: token }).expect(303)
    ctx.t.clock.advance(600)
    expect((await postComment(b.agent, aid, { message: '被屏蔽者的评论' })).status).toBe(303)
    ctx.t.clock.advance(600)
    expect((await postComment(c.agent, aid, { message: '旁人的评论' })).status).toBe(303)
    const collapsed = '<details class="blocked-post"><summary class="xg1">已屏蔽该用户的内容（点击展开）</summary><div class="comment-text">被屏蔽者的评论</div></details>'
    for (const path of [`/article/${aid}`, `/article/${aid}/comments`]) {
      const seen = await a.agent.get(path).expect(200)
      expect(seen.text).toContain(collapsed)
      expect(seen.text).toContain('<div class="comment-text">旁人的评论</div>')
      expect(seen.text.match(/class="blocked-post"/g)).toHaveLength(1)
      for (const other of [b.agent, c.agent, ctx.t.agent()]) {
        const page = await other.get(path).expect(200)
        expect(page.text).toContain('<div class="comment-text">被屏蔽者的评论</div>')
        expect(page.text).not.toContain('blocked-post')
      }
    }
    // With the page caches on (as in production): a plain member's copy first, then the blocker.
    const cached = await ctx.secondApp({ env: LOCAL_CLIENTS_UNLIMITED, guestCacheMs: 60_000 })
    try {
      const plain = await login(cached.agent(), c.user.username, c.user.password)
      const blocker = await login(cached.agent(), a.user.username, a.user.password)
      for (let i = 0; i < 2; i++) expect((await plain.get(`/article/${aid}`).expect(200)).text).not.toContain('blocked-post')
      expect((await blocker.get(`/article/${aid}`).expect(200)).text).toContain(collapsed)
      expect((await plain.get(`/article/${aid}`).expect(200)).text).not.toContain('blocked-post')
    } finally {
      await cached.close()
      await cached.app.db.destroy()
    }
  })

  it('20 replies at once: 20 notices, the counter says 20', async () => {
    const a = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '热门主题')
    const repliers = await Promise.all(Array.from({ length: 20 }, async () => await member()))
    const tokens = await Promise.all(repliers.map(async (r) => await pageToken(r.agent, '/forum')))
    ctx.t.clock.advance(600)
    const results = await Promise.all(repliers.map(async (r, i) => await r.agent.post(`/thread/${threadId}/reply`).type('form').send({ _csrf: tokens[i], body: `第 ${i} 个回复` })))
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(303))
    expect(await notices(a.user.id)).toHaveLength(20)
    expect(await unread(a.user.id)).toBe(20)
  })

  it('/notifications: newest first, keyset pages of 20, marked read when seen, the counter follows', async () => {
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '分页测试')
    for (let i = 0; i < 45; i++) {
      ctx.t.clock.advance(1)
      await ctx.t.app.db.transaction(async (trx) => {
        await ctx.t.app.notifications.notify(trx, { to: a.user.id, kind: 'thread_reply', actor: { id: b.user.id, name: b.user.username }, target: { type: 'thread', id: threadId + 1000 + i }, title: `标题 ${i}`, url: `/thread/${threadId}` }, ctx.t.clock.now())
      })
    }
    expect(await unread(a.user.id)).toBe(45)
    const first = await a.agent.get('/notifications').expect(200)
    expect(first.text).toContain('标题 44')
    expect(first.text).not.toContain('标题 24<')
    expect((first.text.match(/class="notice-item unread"/g) ?? [])).toHaveLength(20)
    expect(first.text.indexOf('标题 44')).toBeLessThan(first.text.indexOf('标题 43'))
    // The header of the page that marked them shows what is left.
    expect(first.text).toContain('• 25</em>')
    expect(await unread(a.user.id)).toBe(25)
    const next = /href="(\/notifications\?before=[\d.]+)" rel="next"/.exec(first.text)?.[1]
    expect(next).toBeDefined()
    const second = await a.agent.get(next ?? '').expect(200)
    expect(second.text).toContain('标题 24')
    expect(second.text).not.toContain('标题 25<')
    const third = await a.agent.get(/href="(\/notifications\?before=[\d.]+)" rel="next"/.exec(second.text)?.[1] ?? '').expect(200)
    expect(third.text).toContain('标题 0<')
    expect(third.text).not.toContain('rel="next"')
    expect(await unread(a.user.id)).toBe(0)
    // Seen again: nothing is unread twice.
    await a.agent.get('/notifications').expect(200)
    expect(await unread(a.user.id)).toBe(0)
    await a.agent.get('/notifications?before=abc').expect(400)
    await ctx.t.agent().get('/notifications').expect(401)
  })

  it('/notifications groups notices by target: several replies to one thread under one heading, another thread apart', async () => {
    const a = await member()
    const repliers = [await member(), await member(), await member()]
    const one = await postThread(ctx.t, a.agent, boardId, '分组主题甲')
    const two = await postThread(ctx.t, a.agent, boardId, '分组主题乙')
    const reply = async (i: number, threadId: number): Promise<void> => {
      ctx.t.clock.advance(600)
      await postReply(ctx.t, repliers[i]?.agent ?? a.agent, threadId, `第 ${i} 位的回复`)
    }
    // Newest first: 甲 (third replier), 乙 (second), 甲 (first) — two groups, 甲's two notices together.
    await reply(0, one)
    await reply(1, two)
    await reply(2, one)
    const page = await a.agent.get('/notifications').expect(200)
    const groups = page.text.split('<div class="notice-group">').slice(1)
    expect(groups).toHaveLength(2)
    const heading = (g: string): string => /<h4>(.*?)<\/h4>/.exec(g)?.[1] ?? ''
    const actors = (g: string): string[] => [...g.matchAll(/<a href="\/user\/(\d+)">/g)].map((m) => m[1] ?? '')
    expect(heading(groups[0] ?? '')).toContain('分组主题甲')
    expect(heading(groups[0] ?? '')).toContain(`href="/thread/${one}`)
    expect(actors(groups[0] ?? '')).toEqual([String(repliers[2]?.user.id), String(repliers[0]?.user.id)])
    expect(heading(groups[1] ?? '')).toContain('分组主题乙')
    expect(actors(groups[1] ?? '')).toEqual([String(repliers[1]?.user.id)])
    expect((page.text.match(/class="notice-item unread"/g) ?? [])).toHaveLength(3)
  })

  it('全部标记为已读 and per-kind preferences (off: nothing stored)', async () => {
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '设置测试')
    await postReply(ctx.t, b.agent, threadId, '第一条')
    expect(await unread(a.user.id)).toBe(1)
    const list = await a.agent.get('/forum')
    await a.agent.post('/notifications/read-all').type('form').send({ _csrf: csrfFrom(list.text) }).expect(303)
    expect(await unread(a.user.id)).toBe(0)
    const form = await a.agent.get('/notifications/settings').expect(200)
    await a.agent.post('/notifications/settings').type('form').send({ _csrf: csrfFrom(form.text), reply: 'off', mention: 'email' }).expect(303)
    expect((await a.agent.get('/notifications/settings?saved=1').expect(200)).text).toMatch(/<option value="off" selected>/)
    await postReply(ctx.t, b.agent, threadId, `第二条 @${a.user.username}`)
    // The reply kind is off; the mention of the same post is told (email: on the site, digests aside).
    expect((await notices(a.user.id)).map((r) => r.kind)).toEqual(['thread_reply', 'mention'])
    await a.agent.post('/notifications/settings').type('form').send({ _csrf: csrfFrom(form.text), reply: 'loud' }).expect(400)
  })

  it('comments: the article author is told, a quoted commenter is told, guests tell nobody', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const categoryId = await createCategory(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '春天的文章' })
    const a = await member()
    const b = await member()
    const res = await postComment(a.agent, aid, { message: '写得好' })
    expect(res.status).toBe(303)
    expect((await notices(author.id)).map((r) => [r.kind, r.title])).toEqual([['article_comment', '春天的文章']])
    ctx.t.clock.advance(600)
    const res2 = await postComment(b.agent, aid, { message: `> ${a.user.username} 的评论：写得好\n我也觉得` })
    expect(res2.status).toBe(303)
    expect((await notices(a.user.id)).map((r) => r.kind)).toEqual(['comment_quote'])
    expect(await notices(author.id)).toHaveLength(2)
  })

  it('@mentions in comments: linked in the comment, each person told once, at most ten, never oneself, the author once', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, title: '点名的文章' })
    const a = await member()
    const named = await Promise.all(Array.from({ length: 11 }, async () => await createUser(ctx.db.knex)))
    const first = named[0]
    if (first === undefined) throw new Error('no member')
    // The author named too: told once (of the comment), not twice.
    const message = `@${author.username} ${named.map((u) => `@${u.username}`).join(' ')} @${a.user.username} @${first.username} 来看看`
    ctx.t.clock.advance(600)
    expect((await postComment(a.agent, aid, { message })).status).toBe(303)
    const told = await Promise.all(named.map(async (u) => (await notices(u.id)).map((r) => r.kind)))
    // Ten names at most, counted in order: the author's name is the first of them.
    expect(told).toEqual([...Array(9).fill(['mention']), [], []])
    expect((await notices(author.id)).map((r) => r.kind)).toEqual(['article_comment'])
    expect(await notices(a.user.id)).toHaveLength(0)
    const page = await ctx.t.agent().get(`/article/${aid}`).expect(200)
    expect(page.text).toContain(`<a href="/u/${first.username}" class="mention">@${first.username}</a>`)
    expect(page.text).not.toContain(`class="mention">@${named[10]?.username ?? ''}</a>`)
    const agent = await login(ctx.t.agent(), first.username, first.password)
    const list = await agent.get('/notifications').expect(200)
    expect(list.text).toContain('在评论中提到了您')
  })

  it('reactions on an article are one grouped notice: 3 人对你的文章表态', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const categoryId = await createCategory(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '表态文章' })
    const agent = await login(ctx.t.agent(), author.username, author.password)
    for (let i = 0; i < 3; i++) {
      const m = await member()
      const page = await m.agent.get(`/article/${aid}`).expect(200)
      const kind = /name="kind" value="([a-z_]+)"/.exec(page.text)?.[1] ?? /data-kind="([a-z_]+)"/.exec(page.text)?.[1]
      const res = await m.agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(page.text), kind })
      expect(res.status).toBe(303)
    }
    const rows = await notices(author.id)
    expect(rows.map((r) => [r.kind, r.actor_count])).toEqual([['article_reaction', 3]])
    expect(await unread(author.id)).toBe(1)
    const list = await agent.get('/notifications').expect(200)
    expect(list.text).toContain('3 人对你的文章表态')
    // Read: the next reaction opens a new group.
    const m = await member()
    const page = await m.agent.get(`/article/${aid}`).expect(200)
    const kind = /name="kind" value="([a-z_]+)"/.exec(page.text)?.[1]
    await m.agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(page.text), kind }).expect(303)
    expect((await notices(author.id)).map((r) => r.actor_count)).toEqual([3, 1])
  })

  it('10 members react to one article at once: one grouped notice of 10, the counter says 1, the reaction counts add up', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, title: '同时表态的文章' })
    const kinds = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']
    const members = await Promise.all(Array.from({ length: 10 }, async () => await member()))
    const tokens = await Promise.all(members.map(async (m) => await pageToken(m.agent, `/article/${aid}`)))
    const results = await Promise.all(members.map(async (m, i) =>
      await m.agent.post(`/article/${aid}/react`).set('Accept', 'application/json').type('form').send({ _csrf: tokens[i], kind: kinds[i % 5] })))
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200))
    const rows = await notices(author.id)
    expect(rows.map((r) => [r.kind, r.actor_count])).toEqual([['article_reaction', 10]])
    expect(await ctx.db.knex('notification_actors').where({ notification_id: rows[0]?.id })).toHaveLength(10)
    expect(await unread(author.id)).toBe(1)
    const counts = await ctx.db.knex('articles').where({ id: aid }).first<Record<string, number>>(kinds.map((k) => `react_${k}`))
    expect(kinds.map((k) => Number(counts?.[`react_${k}`]))).toEqual([2, 2, 2, 2, 2])
  }, 60_000)

  it('moderators: approval and removal are told to the author; a ban and its lift with the reason', async () => {
    await ctx.t.app.antiAbuse.words.add({ word: '待审词', action: 'moderate', by: null, now: ctx.t.clock.now() })
    const mod = await createUser(ctx.db.knex, { role: 'moderator' })
    const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '审核测试')
    ctx.t.clock.advance(600)
    const pending = await sendReply(b.agent, threadId, '这里有待审词')
    expect(pending.status).toBe(303)
    expect(await notices(a.user.id)).toHaveLength(0) // nobody is told of a post nobody can see
    const postId = Number((await ctx.db.knex('posts').where({ thread_id: threadId, author_id: b.user.id }).first<{ id: number }>('id'))?.id)
    await staffPost(modAgent, `/post/${postId}/approve`).then((r) => { expect(r.status).toBe(303) })
    expect((await notices(b.user.id)).map((r) => r.kind)).toEqual(['approved'])
    expect((await notices(a.user.id)).map((r) => r.kind)).toEqual(['thread_reply'])
    await staffPost(modAgent, `/post/${postId}/delete`).then((r) => { expect(r.status).toBe(303) })
    expect((await notices(b.user.id)).map((r) => r.kind)).toEqual(['approved', 'removed'])

    await staffPost(modAgent, `/mod/ban/${b.user.id}`, { type: 'post', duration: '7', reason: '多次发布广告' }).then((r) => { expect(r.status).toBe(303) })
    await staffPost(modAgent, `/mod/unban/${b.user.id}`, { reason: '申诉通过' }).then((r) => { expect(r.status).toBe(303) })
    const rows = await notices(b.user.id)
    expect(rows.slice(2).map((r) => [r.kind, r.title])).toEqual([['banned', '多次发布广告'], ['unbanned', '申诉通过']])
    const list = await b.agent.get('/notifications').expect(200)
    expect(list.text).toContain('您已被禁止发言，理由：')
    expect(list.text).toContain('多次发布广告')
  })

  it('comments: approved and removed by a moderator, each told to the author once; removing one\'s own tells nobody', async () => {
    await ctx.t.app.antiAbuse.words.add({ word: '评论待审', action: 'moderate', by: null, now: ctx.t.clock.now() })
    const mod = await createUser(ctx.db.knex, { role: 'moderator' })
    const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, title: '审核评论的文章' })
    const a = await member()
    const byKind = async (kind: string): Promise<Array<[string, number]>> =>
      (await ctx.db.knex('notifications').where({ user_id: a.user.id, kind }).orderBy('id').select<Array<{ target_type: string, target_id: number }>>('target_type', 'target_id')).map((r) => [r.target_type, Number(r.target_id)])
    const pendingComment = async (message: string): Promise<number> => {
      ctx.t.clock.advance(600)
      expect((await postComment(a.agent, aid, { message })).status).toBe(303)
      const row = await ctx.db.knex('comments').where({ article_id: aid, author_id: a.user.id }).orderBy('id', 'desc').first<{ id: number, status: string }>('id', 'status')
      expect(row?.status).toBe('pending')
      return Number(row?.id)
    }
    const moderate = async (single: string): Promise<void> => {
      const token = await pageToken(modAgent, '/mod/comments')
      await modAgent.post('/mod/comments').type('form').send({ _csrf: token, single }).expect(303)
    }

    const first = await pendingComment('这条评论评论待审')
    expect(await notices(a.user.id)).toHaveLength(0)
    await moderate(`approve:${first}`)
    await moderate(`approve:${first}`) // already handled: nothing changes, nobody is told again
    expect(await byKind('approved')).toEqual([['comment', first]])
    expect(await unread(a.user.id)).toBe(1)

    // A visible comment deleted by the moderator from the article page.
    const token = await pageToken(modAgent, `/article/${aid}`)
    await modAgent.post(`/comments/${first}/delete`).type('form').send({ _csrf: token }).expect(303)
    expect(await byKind('removed')).toEqual([['comment', first]])

    // A pending one refused in the queue.
    const second = await pendingComment('第二条评论待审')
    await moderate(`delete:${second}`)
    await moderate(`delete:${second}`)
    expect(await byKind('removed')).toEqual([['comment', first], ['comment', second]])
    expect(await byKind('approved')).toEqual([['comment', first]])

    // The author's own deletion is no moderation: no notice.
    ctx.t.clock.advance(600)
    expect((await postComment(a.agent, aid, { message: '我自己删掉的评论' })).status).toBe(303)
    const own = Number((await ctx.db.knex('comments').where({ article_id: aid, author_id: a.user.id, status: 'visible' }).first<{ id: number }>('id'))?.id)
    await a.agent.post(`/comments/${own}/delete`).type('form').send({ _csrf: await pageToken(a.agent, `/article/${aid}`) }).expect(303)
    expect(await notices(a.user.id)).toHaveLength(3)
    expect(await unread(a.user.id)).toBe(3)
  })

  it('a whole thread removed by a moderator is told to its author once, with the thread as the target', async () => {
    const mod = await createUser(ctx.db.knex, { role: 'moderator' })
    const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
    const a = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '将被删除的主题')
    const own = await postThread(ctx.t, modAgent, boardId, '版主自己的主题')
    await staffPost(modAgent, `/thread/${threadId}/delete`, { reason: '重复发帖' }).then((r) => { expect(r.status).toBe(303) })
    expect((await staffPost(modAgent, `/thread/${threadId}/delete`, { reason: '再删一次' })).status).toBeGreaterThanOrEqual(400)
    const rows = await ctx.db.knex('notifications').where({ user_id: a.user.id }).select<Array<{ kind: string, target_type: string, target_id: number, title: string }>>('kind', 'target_type', 'target_id', 'title')
    expect(rows.map((r) => [r.kind, r.target_type, Number(r.target_id), r.title])).toEqual([['removed', 'thread', threadId, '将被删除的主题']])
    expect(await unread(a.user.id)).toBe(1)
    const list = await a.agent.get('/notifications').expect(200)
    expect(list.text).toContain('将被删除的主题')
    // A moderator removing their own thread is not told.
    await staffPost(modAgent, `/thread/${own}/delete`).then((r) => { expect(r.status).toBe(303) })
    expect(await notices(mod.id)).toHaveLength(0)
  })

  it('an event that fails leaves no notice (same transaction)', async () => {
    await ctx.t.app.antiAbuse.words.add({ word: '违禁词', action: 'block', by: null, now: ctx.t.clock.now() })
    const a = await member()
    const b = await member()
    const threadId = await postThread(ctx.t, a.agent, boardId, '事务测试')
    ctx.t.clock.advance(600)
    const res = await sendReply(b.agent, threadId, `@${a.user.username} 违禁词`)
    expect(res.status).toBe(400)
    expect(await notices(a.user.id)).toHaveLength(0)
    expect(await unread(a.user.id)).toBe(0)
  })

  it('an event whose transaction fails after its notice was written leaves no notice and no counter change (a ban)', async () => {
    // A ban hook runs after the ban's notice, in the ban's transaction: one that throws rolls the ban back.
    // It records what the transaction held when it failed: the notice and the counter, already written.
    let seen: { notices: number, unread: number } | null = null
    const failing = await ctx.secondApp({
      env: LOCAL_CLIENTS_UNLIMITED,
      routes: (app) => {
        app.banHooks.add('test-failure', async (event, trx) => {
          if (!event.reason.includes('故障')) return undefined
          const row = await trx('users').where({ id: event.userId }).first<{ unread_notifications: number }>('unread_notifications')
          seen = { notices: (await trx('notifications').where({ user_id: event.userId })).length, unread: Number(row?.unread_notifications) }
          throw new Error('a later statement of the ban failed')
        })
      }
    })
    try {
      const mod = await createUser(ctx.db.knex, { role: 'moderator' })
      const modAgent = await login(failing.agent(), mod.username, mod.password)
      const b = await createUser(ctx.db.knex)
      const res = await staffPost(modAgent, `/mod/ban/${b.id}`, { type: 'post', duration: '7', reason: '模拟故障' })
      expect(res.status).toBe(500)
      expect(seen).toEqual({ notices: 1, unread: 1 })
      expect(await notices(b.id)).toHaveLength(0)
      expect(await unread(b.id)).toBe(0)
      expect(await ctx.db.knex('bans').where({ user_id: b.id })).toHaveLength(0)
      // The same ban without the failure: one notice, the counter 1 (the hook is no reason for silence).
      await staffPost(modAgent, `/mod/ban/${b.id}`, { type: 'post', duration: '7', reason: '正常禁言' }).then((r) => { expect(r.status).toBe(303) })
      expect((await notices(b.id)).map((r) => [r.kind, r.title])).toEqual([['banned', '正常禁言']])
      expect(await unread(b.id)).toBe(1)
    } finally {
      await failing.close()
      await failing.app.db.destroy()
    }
  })

  it('notices written by the service in a transaction that then throws are gone, grouped ones and counters too', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const a = await member()
    const b = await member()
    const c = await member()
    const before = await ctx.db.knex('notification_actors').count<Array<{ n: number }>>({ n: '*' }).first()
    const { notifications } = ctx.t.app
    await expect(ctx.t.app.db.transaction(async (trx) => {
      expect(await notifications.contribution(trx, {
        actor: { id: a.user.id, name: a.user.username }, text: `@${b.user.username} 你好`, target: { type: 'thread', id: 999_001 }, title: '回滚的主题', url: '/thread/999001',
        recipients: [{ to: c.user.id, kind: 'thread_reply' }]
      }, ctx.t.clock.now())).toEqual([c.user.id, b.user.id])
      expect(await notifications.notify(trx, { to: author.id, kind: 'article_reaction', actor: { id: a.user.id, name: a.user.username }, target: { type: 'article', id: 999_002 }, title: '回滚的文章', url: '/article/999002' }, ctx.t.clock.now())).toBe(true)
      // Written, in this transaction: then a later statement fails.
      expect(Number((await trx('users').where({ id: c.user.id }).first<{ unread_notifications: number }>('unread_notifications'))?.unread_notifications)).toBe(1)
      throw new Error('the event failed after its notices')
    })).rejects.toThrow('the event failed after its notices')
    for (const id of [author.id, b.user.id, c.user.id]) {
      expect(await notices(id)).toHaveLength(0)
      expect(await unread(id)).toBe(0)
    }
    expect(await ctx.db.knex('notification_actors').count<Array<{ n: number }>>({ n: '*' }).first()).toEqual(before)
  })
})
