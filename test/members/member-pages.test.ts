import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { banUser, createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

/**
 * A member's page is the shared page plus their own parts (issue #19): the header's member menu, form
 * tokens, their reaction, edit links on their comments, staff tools. With the one-second member cache on
 * (as in production), each member gets exactly their own parts and never another's, and a ban applies
 * within the cache's second.
 */
describe.each(dialects)('member pages on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { memberCacheMs: 1000 } })
  let editor: CreatedUser
  let categoryId: number

  beforeAll(async () => {
    editor = await createUser(ctx.db.knex, { username: '编辑部' })
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)
  const member = async (username: string, role: CreatedUser['role'] = 'member') => {
    const user = await createUser(ctx.db.knex, { username, role })
    return { user, agent: await login(browser(), user.username, user.password) }
  }
  // The top bar's member links (views/partials/_header.njk: <nav class="user-links">).
  const headerOf = (html: string): string => /<nav class="user-links"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? ''

  it('gives each member their own menu, reaction, edit links and a token that works only in their session', async () => {
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: editor.id, publishedAt: ctx.t.clock.now() - 3600 })
    const a = await member('甲会员')
    const b = await member('乙会员')
    const mod = await member('丙版主', 'moderator')

    const aPage = await a.agent.get(`/article/${aid}`).expect(200)
    await a.agent.post(`/article/${aid}/react`).type('form').send({ _csrf: csrfFrom(aPage.text), kind: 'xianhua' }).expect(303)
    const posted = await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aPage.text), message: '甲的评论' }).expect(303)
    const cid = Number(/#comment-(\d+)$/.exec(String(posted.headers.location))?.[1])

    // Interleaved, as 64 connections of different members are: each page is its reader's.
    const [aView, bView, modView, guestView] = await Promise.all([a.agent, b.agent, mod.agent, browser()].map(async (c) => (await c.get(`/article/${aid}`).expect(200)).text))
    expect(headerOf(aView as string)).toContain('>甲会员</a>')
    expect(headerOf(bView as string)).toContain('>乙会员</a>')
    expect(headerOf(bView as string)).not.toContain('甲会员')
    expect(headerOf(aView as string)).not.toContain('href="/mod"')
    expect(headerOf(modView as string)).toContain('href="/mod"')
    expect(headerOf(guestView as string)).toContain('登录')
    expect(aView).toContain('您的表态：鲜花')
    for (const other of [bView, modView, guestView]) expect(other).not.toContain('您的表态')
    expect(aView).toContain(`href="/comments/${cid}/edit"`)
    expect(bView).not.toContain(`/comments/${cid}/edit`)
    expect(guestView).not.toContain(`/comments/${cid}/edit`)
    expect(guestView).not.toContain('name="_csrf"')

    // A's token from A's page posts for A; B cannot use it in B's session.
    ctx.t.clock.advance(60)
    await a.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aView as string), message: '甲又说' }).expect(303)
    await b.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(aView as string), message: '乙冒用' }).expect(403)
    await b.agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(bView as string), message: '乙自己说' }).expect(303)
    const authors = await ctx.db.knex('comments').where('article_id', aid).orderBy('id').select<Array<{ author_id: number, body: string }>>('author_id', 'body')
    expect(authors.map((r) => [Number(r.author_id), r.body])).toEqual([[a.user.id, '甲的评论'], [a.user.id, '甲又说'], [b.user.id, '乙自己说']])
  })

  it('applies a ban and a logout made elsewhere within the one-second window', async () => {
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: editor.id, publishedAt: ctx.t.clock.now() - 3600 })
    const c = await member('丁会员')
    await c.agent.get(`/article/${aid}`).expect(200)
    await banUser(ctx.db.knex, c.user.id, { type: 'visit', until: null, reason: '测试封禁' })
    // Within the second this process may still use the member it loaded …
    ctx.t.clock.set(ctx.t.clock.nowMs() + 1000)
    // … and from the second on, the ban applies.
    const refused = await c.agent.get(`/article/${aid}`).expect(403)
    expect(refused.text).toContain('抱歉，您已被禁止访问')

    const d = await member('戊会员')
    await d.agent.get(`/article/${aid}`).expect(200)
    // Logged out elsewhere (another process deleted the session row): gone here within the second too.
    await ctx.db.knex('sessions').where('user_id', d.user.id).delete()
    ctx.t.clock.set(ctx.t.clock.nowMs() + 1000)
    const after = await d.agent.get(`/article/${aid}`).expect(200)
    expect(headerOf(after.text)).toContain('登录')
    expect(headerOf(after.text)).not.toContain('戊会员')
  })
})
