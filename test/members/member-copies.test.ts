import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { banUser, createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { postReply, postThread } from '../forum/helpers'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

/**
 * A plain member's page is one shared copy a second plus their own parts, filled per request
 * (src/plugins/member-pages.ts, issue #19). With the caches on as in production (one second, a frozen
 * test clock), two members reading the same page within the window get one render between them, and
 * each sees only their own name, 提醒 count, 表态, edit links and form token.
 */
describe.each(dialects)('member copies on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000, memberCacheMs: 1000, env: { RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1' } } })
  let editor: CreatedUser
  let categoryId: number

  beforeAll(async () => {
    editor = await createUser(ctx.db.knex, { username: '编辑部' })
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)
  const member = async (username: string, role: CreatedUser['role'] = 'member', unread = 0) => {
    const user = await createUser(ctx.db.knex, { username, role })
    if (unread > 0) await ctx.db.knex('users').where('id', user.id).update({ unread_notifications: unread })
    return { user, agent: await login(browser(), user.username, user.password) }
  }
  const headerOf = (html: string): string => /<nav class="user-links"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? ''
  const counters = () => ({ ...ctx.t.app.memberPages.answered })
  /** Past the copy's second (and the member cache's): the next member request renders a new copy. */
  const nextSecond = () => { ctx.t.clock.set(ctx.t.clock.nowMs() + 1500) }
  const article = async () => await createArticle(ctx.db.knex, { categoryId, authorId: editor.id, publishedAt: ctx.t.clock.now() - 3600 })

  it('renders the page once for two members; each sees their own name, 提醒, 表态 and edit links, and each token works only in its session', async () => {
    const aid = await article()
    const a = await member('甲会员', 'member', 3)
    const b = await member('乙会员')
    const aFirst = await a.agent.get(`/article/${aid}`).expect(200)
    await a.agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(aFirst.text), kind: 'xianhua' }).expect(303)
    const posted = await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aFirst.text), message: '甲的评论' }).expect(303)
    const cid = Number(/#comment-(\d+)$/.exec(String(posted.headers.location))?.[1])

    nextSecond()
    const before = counters()
    const bView = (await b.agent.get(`/article/${aid}`).expect(200)).text
    const aView = (await a.agent.get(`/article/${aid}`).expect(200)).text
    const after = counters()
    // One render (B's) became the copy; A's page came from it.
    expect(after.copiesRendered - before.copiesRendered).toBe(1)
    expect(after.fromCopy - before.fromCopy).toBe(1)

    for (const page of [aView, bView]) {
      expect(page).not.toContain('<!--luntan-hole')
      expect(page).toMatch(/<em id="view-count">\d+<\/em>/)
      expect(page).toContain('甲的评论')
    }
    expect(headerOf(aView)).toContain('>甲会员</a>')
    expect(headerOf(aView)).toContain('• 3')
    expect(headerOf(aView)).toContain('has-new')
    expect(headerOf(bView)).toContain('>乙会员</a>')
    expect(headerOf(bView)).toContain('• 0')
    expect(headerOf(bView)).not.toContain('甲会员')
    expect(headerOf(aView)).not.toContain('乙会员')
    expect(aView).toContain('您的表态：鲜花')
    expect(aView).toMatch(/react-cell react-chosen">\s*<span class="react-count">1</)
    expect(aView).toContain('撤销我的表态')
    expect(bView).not.toContain('您的表态')
    expect(bView).not.toContain('react-chosen')
    expect(bView).not.toContain('撤销我的表态')
    expect(aView).toContain(`href="/comments/${cid}/edit"`)
    expect(aView).toContain(`action="/comments/${cid}/delete"`)
    expect(bView).not.toContain(`/comments/${cid}/edit`)
    expect(bView).not.toContain(`/comments/${cid}/delete`)
    expect(aView).not.toContain('/mod/ban/')
    expect(csrfFrom(aView)).not.toBe(csrfFrom(bView))

    // A's token (from the copy) posts for A; in B's session it is refused; B's own works.
    ctx.t.clock.advance(60)
    await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aView), message: '甲又说' }).expect(303)
    await b.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aView), message: '乙冒用' }).expect(403)
    await b.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(bView), message: '乙自己说' }).expect(303)
    const rows = await ctx.db.knex('comments').where('article_id', aid).orderBy('id').select<Array<{ author_id: number, body: string }>>('author_id', 'body')
    expect(rows.map((r) => [Number(r.author_id), r.body])).toEqual([[a.user.id, '甲的评论'], [a.user.id, '甲又说'], [b.user.id, '乙自己说']])
  })

  it('shows a member their own pending comment and nobody else; a writer sees their new comment at once, others within the second', async () => {
    const aid = await article()
    const a = await member('丙会员')
    const b = await member('丁会员')
    const c = await member('戊会员')
    await ctx.db.knex('comments').insert({ article_id: aid, author_id: a.user.id, status: 'pending', body: '丙的待审评论', created_at: ctx.t.clock.now() - 10 })

    nextSecond()
    const bView = (await b.agent.get(`/article/${aid}`).expect(200)).text
    const before = counters()
    const aView = (await a.agent.get(`/article/${aid}`).expect(200)).text
    const cView = (await c.agent.get(`/article/${aid}`).expect(200)).text
    const after = counters()
    expect(aView).toContain('丙的待审评论')
    expect(aView).toContain('待审核')
    expect(bView).not.toContain('丙的待审评论')
    expect(cView).not.toContain('丙的待审评论')
    // A got the full render (not the copy), C the copy.
    expect(after.fromCopy - before.fromCopy).toBe(1)
    expect(after.copiesRendered - before.copiesRendered).toBe(0)

    // B comments: B's next page shows it at once (rendered fresh after B's write); C's copy is still the
    // one from before for the rest of its second, and the next second shows it to C too.
    ctx.t.clock.advance(0)
    await b.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(bView), message: '丁刚发的评论' }).expect(303)
    expect((await b.agent.get(`/article/${aid}`).expect(200)).text).toContain('丁刚发的评论')
    nextSecond()
    expect((await c.agent.get(`/article/${aid}`).expect(200)).text).toContain('丁刚发的评论')
  })

  it('reads a member\'s own hole values once a second: their next page within it costs no query, their own write forgets them at once', async () => {
    const aid = await article()
    const a = await member('甲乙会员')
    nextSecond()
    const first = (await a.agent.get(`/article/${aid}`).expect(200)).text
    expect(first).not.toContain('您的表态')
    const statements: string[] = []
    const record = (q: { sql: string }): void => { statements.push(q.sql) }
    ctx.db.knex.on('query', record)
    try {
      const again = await a.agent.get(`/article/${aid}`).expect(200)
      expect(again.text).toContain('>甲乙会员</a>')
    } finally {
      ctx.db.knex.off('query', record)
    }
    // Neither their 表态 nor their pending comments were read again (nor their session or user row).
    expect(statements.filter((sql) => /reactions|comments/.test(sql))).toEqual([])
    // Their own 表态 (a write on this process) shows on the next page at once, in the same second.
    await a.agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(first), kind: 'woshou' }).expect(303)
    expect((await a.agent.get(`/article/${aid}`).expect(200)).text).toContain('您的表态：握手')
  })

  it('gives a banned member the ban notice, the article author their own page, and a moderator the staff tools', async () => {
    const aid = await article()
    const a = await member('己会员')
    const banned = await member('庚会员')
    const mod = await member('辛版主', 'moderator')
    const aFirst = await a.agent.get(`/article/${aid}`).expect(200)
    await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aFirst.text), message: '己的评论' }).expect(303)
    await banUser(ctx.db.knex, banned.user.id, { type: 'post', until: null, reason: '刷屏' })
    const author = await login(browser(), editor.username, editor.password)

    nextSecond()
    const aView = (await a.agent.get(`/article/${aid}`).expect(200)).text
    const before = counters()
    const bannedView = (await banned.agent.get(`/article/${aid}`).expect(200)).text
    const modView = (await mod.agent.get(`/article/${aid}`).expect(200)).text
    const authorView = (await author.get(`/article/${aid}`).expect(200)).text
    // None of the three was given A's copy; the author (a plain member) rendered their own page with holes, not kept.
    expect(counters()).toEqual({ fromCopy: before.fromCopy, copiesRendered: before.copiesRendered + 1 })
    expect((await a.agent.get(`/article/${aid}`).expect(200)).text).not.toContain('您不能给自己表态')
    expect(counters().fromCopy).toBe(before.fromCopy + 1)

    expect(bannedView).toContain('抱歉，您已被禁止发言')
    expect(bannedView).not.toContain('class="quick-comment-form"')
    expect(bannedView).toContain('>庚会员</a>')
    expect(aView).toContain('class="quick-comment-form"')
    expect(aView).not.toContain('禁止发言')

    expect(headerOf(modView)).toContain('href="/mod"')
    expect(modView).toContain(`/mod/ban/${a.user.id}`)
    expect(headerOf(aView)).not.toContain('href="/mod"')
    expect(aView).not.toContain('/mod/ban/')

    expect(authorView).toContain('您不能给自己表态')
    expect(aView).not.toContain('您不能给自己表态')
    for (const page of [aView, bannedView, modView, authorView]) expect(page).not.toContain('<!--luntan-hole')
  })

  it('never gives a member\'s floor waiting for review to another member, and gives its author the full render', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const starter = await member('子会员')
    const newcomer = await member('丑会员')
    const reader = await member('寅会员')
    const other = await member('卯会员')
    const tid = await postThread(ctx.t, starter.agent, boardId, '一个主题')
    // A member's first posts with a link wait for review (anti-abuse: new-member-link).
    await postReply(ctx.t, newcomer.agent, tid, '看这里 https://example.com/待审链接')
    const pending = await ctx.db.knex('posts').where({ thread_id: tid, author_id: newcomer.user.id }).first<{ status: string }>('status')
    expect(pending?.status).toBe('pending')

    nextSecond()
    const readerView = (await reader.agent.get(`/thread/${tid}`).expect(200)).text
    const before = counters()
    const newcomerView = (await newcomer.agent.get(`/thread/${tid}`).expect(200)).text
    const otherView = (await other.agent.get(`/thread/${tid}`).expect(200)).text
    const after = counters()
    expect(newcomerView).toContain('example.com/待审链接')
    expect(newcomerView).toContain('本帖正在等待审核')
    for (const page of [readerView, otherView]) {
      expect(page).not.toContain('待审链接')
      expect(page).toContain('该帖正在审核中')
    }
    // The author rendered their own page (a copy with holes, not kept); the other reader got the copy.
    expect(after.fromCopy - before.fromCopy).toBe(1)
    expect((await other.agent.get(`/thread/${tid}`).expect(200)).text).not.toContain('待审链接')
  })

  it('shares the comment list, the portal home and the forum pages, with edit links only on the reader\'s own floors and comments', async () => {
    const aid = await article()
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '灌水区' })
    const a = await member('壬会员')
    const b = await member('癸会员')
    const aFirst = await a.agent.get(`/article/${aid}`).expect(200)
    const posted = await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aFirst.text), message: '壬在列表里' }).expect(303)
    const cid = Number(/#comment-(\d+)$/.exec(String(posted.headers.location))?.[1])
    const tid = await postThread(ctx.t, a.agent, boardId, '壬的主题')
    await postReply(ctx.t, b.agent, tid, '癸的回帖')
    const floors = await ctx.db.knex('posts').where('thread_id', tid).orderBy('id').select<Array<{ id: number, author_id: number }>>('id', 'author_id')
    const aPost = Number(floors.find((p) => Number(p.author_id) === a.user.id)?.id)
    const bPost = Number(floors.find((p) => Number(p.author_id) === b.user.id)?.id)

    nextSecond()
    for (const path of ['/', `/category/${categoryId}`, '/forum', `/forum/${boardId}`, `/article/${aid}/comments`, `/thread/${tid}`]) {
      const before = counters()
      const aView = (await a.agent.get(path).expect(200)).text
      const bView = (await b.agent.get(path).expect(200)).text
      const after = counters()
      expect([path, after.copiesRendered - before.copiesRendered, after.fromCopy - before.fromCopy]).toEqual([path, 1, 1])
      expect(headerOf(aView)).toContain('>壬会员</a>')
      expect(headerOf(bView)).toContain('>癸会员</a>')
      for (const page of [aView, bView]) expect(page).not.toContain('<!--luntan-hole')
      if (path === `/article/${aid}/comments`) {
        expect(aView).toContain(`/comments/${cid}/edit`)
        expect(bView).not.toContain(`/comments/${cid}/edit`)
      }
      if (path === `/thread/${tid}`) {
        expect(aView).toContain(`/post/${aPost}/edit`)
        expect(aView).not.toContain(`/post/${bPost}/edit`)
        expect(bView).toContain(`/post/${bPost}/edit`)
        expect(bView).not.toContain(`/post/${aPost}/edit`)
        // B's reply form token from the copy works for B.
        ctx.t.clock.advance(600)
        await b.agent.post(`/thread/${tid}/reply`).type('form').send({ _csrf: csrfFrom(bView), body: '癸用副本里的令牌回帖' }).expect(303)
        await a.agent.post(`/thread/${tid}/reply`).type('form').send({ _csrf: csrfFrom(bView), body: '壬冒用' }).expect(403)
      }
    }
  })
})
