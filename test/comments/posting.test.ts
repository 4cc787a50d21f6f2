import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser, banUser } from '../helpers/factories'
import { commentIdFrom, postComment } from './helpers'
import type { CommentRow } from '../../src/features/comments/repository'
import { antiAbuseFor } from '../../src/features/antiabuse/service'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('posting quick comments on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let author: CreatedUser
  let categoryId: number

  beforeAll(async () => {
    author = await createUser(ctx.db.knex, { username: '编辑部' })
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)
  const newArticle = async (fields: { allowComments?: boolean, categoryId?: number } = {}) =>
    await createArticle(ctx.db.knex, { categoryId: fields.categoryId ?? categoryId, authorId: author.id, allowComments: fields.allowComments })
  const member = async (fields: Parameters<typeof createUser>[1] = {}) => {
    const u = await createUser(ctx.db.knex, fields)
    return { user: u, agent: await login(browser(), u.username, u.password) }
  }
  const commentCount = async (aid: number) => Number((await ctx.db.knex('articles').where('id', aid).first('comment_count')).comment_count)
  const rows = async (aid: number): Promise<CommentRow[]> => await ctx.db.knex<CommentRow>('comments').where('article_id', aid).orderBy('id')

  it('lets a member comment without JavaScript: 303 back to the comment, shown under the article and counted', async () => {
    const aid = await newArticle()
    const { user, agent } = await member({ username: '小明' })
    const page = await agent.get(`/article/${aid}`).expect(200)
    expect(page.text).toContain('最新评论')
    expect(page.text).toContain('快速评论')
    expect(page.text).toContain('查看全部评论(0)')
    const res = await postComment(agent, aid, { message: '第一条评论\n第二行' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toMatch(new RegExp(`^/article/${aid}#comment-\\d+$`))
    const cid = commentIdFrom(res)
    const after = await browser().get(`/article/${aid}`).expect(200)
    expect(after.text).toContain(`id="comment-${cid}"`)
    expect(after.text).toContain(`<a href="/user/${user.id}" class="comment-author">小明</a>`)
    expect(after.text).toContain('第一条评论<br>第二行')
    expect(after.text).toMatch(/\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
    expect(after.text).toContain('查看全部评论(1)')
    expect(await commentCount(aid)).toBe(1)
    const [row] = await rows(aid)
    expect(row).toMatchObject({ author_id: user.id, status: 'visible', body: '第一条评论\n第二行', ip: null })
    expect(row?.ip_hash).toMatch(/^[0-9a-f]{32}$/)
  })

  it('answers fetch with JSON: the rendered comment, or {error}', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const ok = await postComment(agent, aid, { message: '用 fetch 发表' }, { json: true })
    expect(ok.status).toBe(201)
    expect(ok.body.status).toBe('visible')
    expect(ok.body.html).toContain(`id="comment-${String(ok.body.id)}"`)
    expect(ok.body.html).toContain('用 fetch 发表')
    // The new count, for the script to redraw 评论: N and 查看全部评论(N) without a reload.
    expect(ok.body.count).toBe(1)
    ctx.t.clock.advance(20)
    const second = await postComment(agent, aid, { message: '第二条 fetch 评论' }, { json: true })
    expect(second.status).toBe(201)
    expect(second.body.count).toBe(2)
    ctx.t.clock.advance(20)
    const bad = await postComment(agent, aid, { message: 'x' }, { json: true })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('评论内容至少 2 个字节（一个汉字算 2 个）')
  })

  it('asks guests to log in unless guest comments are on; guest comments go to review', async () => {
    const aid = await newArticle()
    const page = await browser().get(`/article/${aid}`).expect(200)
    expect(page.text).toContain('您需要先登录才能继续本操作')
    expect(page.text).toContain(`/login?return=${encodeURIComponent(`/article/${aid}#comments`)}`)
    const guest = browser()
    const refused = await postComment(guest, aid, { message: '游客想评论' })
    expect(refused.status).toBe(401)
    expect(refused.text).toContain('您需要先登录才能继续本操作')
    expect(await rows(aid)).toHaveLength(0)

    // The guest captcha has its own tests (test/captcha/); off here.
    await ctx.db.knex('settings').insert([{ key: 'guest_comments', value: '1' }, { key: 'captcha_guest_comments', value: '0' }])
    ctx.t.app.settings.invalidate()
    const form = await browser().get(`/article/${aid}`).expect(200)
    expect(form.text).toContain('name="guest_name"')
    const res = await postComment(guest, aid, { message: '游客的评论', guest_name: '路人甲' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/article/${aid}?pending=1#comments`)
    const notice = await guest.get(`/article/${aid}?pending=1`).expect(200)
    expect(notice.text).toContain('您的评论已提交，需要审核后才能显示')
    expect(notice.text).toContain('提示：本页有 1 个评论因未通过审核而被隐藏')
    expect(notice.text).not.toContain('游客的评论')
    expect(await rows(aid)).toMatchObject([{ author_id: null, guest_name: '路人甲', status: 'pending', body: '游客的评论' }])
    expect(await commentCount(aid)).toBe(0)
    await ctx.db.knex('settings').whereIn('key', ['guest_comments', 'captcha_guest_comments']).delete()
    ctx.t.app.settings.invalidate()
  })

  it('enforces the length bounds (at least 2 Discuz bytes, so 顶 passes; at most comment_max_length characters, an emoji is one) and keeps the text on refusal', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const short = await postComment(agent, aid, { message: ' a ' })
    expect(short.status).toBe(400)
    expect(short.text).toContain('评论内容至少 2 个字节（一个汉字算 2 个）')
    // One CJK character is two bytes as Discuz counts: the commonest reply in Chinese forums passes.
    expect((await postComment(agent, aid, { message: '顶' })).status).toBe(303)
    expect((await rows(aid)).map((r) => r.body)).toEqual(['顶'])
    await ctx.db.knex('comments').where({ article_id: aid }).delete()
    await ctx.db.knex('articles').where({ id: aid }).update({ comment_count: 0 })
    ctx.t.clock.advance(20)
    await ctx.db.knex('settings').insert({ key: 'comment_max_length', value: '10' })
    ctx.t.app.settings.invalidate()
    const long = await postComment(agent, aid, { message: '一二三四五六七八九十十' })
    expect(long.status).toBe(400)
    expect(long.text).toContain('评论内容不能超过 10 个字符（当前 11 个字符）')
    expect(long.text).toContain('>一二三四五六七八九十十</textarea>')
    expect(await rows(aid)).toHaveLength(0)
    expect((await postComment(agent, aid, { message: '一二三四五六七八九十' })).status).toBe(303)
    ctx.t.clock.advance(20)
    expect((await postComment(agent, aid, { message: '😀😀' })).status).toBe(303)
    expect((await rows(aid)).map((r) => r.body)).toEqual(['一二三四五六七八九十', '😀😀'])
    await ctx.db.knex('settings').where('key', 'comment_max_length').delete()
    ctx.t.app.settings.invalidate()
  })

  it('lets exactly one of two simultaneous posts by a member land (flood control)', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const token = (await agent.get(`/article/${aid}`)).text.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? ''
    const send = async (message: string) => await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: token, message })
    const results = await Promise.all([send('同时发表一'), send('同时发表二')])
    expect(results.map((r) => r.status).sort()).toEqual([303, 429])
    const refused = results.find((r) => r.status === 429)
    expect(refused?.text).toContain('您两次发表间隔少于 15 秒，请 15 秒后再发表')
    expect(await rows(aid)).toHaveLength(1)
    expect(await commentCount(aid)).toBe(1)
    ctx.t.clock.advance(15)
    expect((await send('十五秒之后')).status).toBe(303)
  })

  it('applies the new-member rules by the clock: silent for 2 minutes, links go to review for the first 3', async () => {
    const aid = await newArticle()
    const { agent } = await member({ createdAt: ctx.t.clock.now() - 60 })
    const silent = await postComment(agent, aid, { message: '我是新人' })
    expect(silent.status).toBe(403)
    expect(silent.text).toContain('新注册用户需等待 60 秒后才能发表')
    ctx.t.clock.advance(60)
    const withLink = await postComment(agent, aid, { message: '看这里 http://spam.example.com' })
    expect(withLink.status).toBe(303)
    expect(withLink.headers.location).toMatch(/\?pending=1#comment-\d+$/)
    ctx.t.clock.advance(20)
    const tooSoon = await postComment(agent, aid, { message: '第二条' })
    expect(tooSoon.status).toBe(429)
    expect(tooSoon.text).toContain('您两次发表间隔少于 30 秒，请 10 秒后再发表')
    ctx.t.clock.advance(10)
    expect((await postComment(agent, aid, { message: '没有链接的评论' })).status).toBe(303)
    expect((await rows(aid)).map((r) => r.status)).toEqual(['pending', 'visible'])
    // The author sees their own pending comment, marked; others do not.
    const own = await agent.get(`/article/${aid}`)
    expect(own.text).toContain('待审核')
    expect(own.text).toContain('spam.example.com')
    const other = await browser().get(`/article/${aid}`)
    expect(other.text).not.toContain('spam.example.com')
    expect(other.text).toContain('提示：本页有 1 个评论因未通过审核而被隐藏')
  })

  it('applies each word-filter action, including full-width and spaced variants', async () => {
    const words = antiAbuseFor(ctx.t.app.db).words
    await words.add({ word: '违禁品', action: 'block', by: null, now: 1 })
    await words.add({ word: '代开发票', action: 'moderate', by: null, now: 1 })
    await words.add({ word: 'BadWord', action: 'replace', replacement: '[哔]', by: null, now: 1 })
    const aid = await newArticle()
    const { agent } = await member()
    for (const message of ['出售违禁品', '出售违 禁 品', '出售违.禁.品']) {
      const res = await postComment(agent, aid, { message })
      expect(res.status).toBe(400)
      expect(res.text).toContain('您的评论包含不允许的词语')
    }
    expect(await rows(aid)).toHaveLength(0)
    expect((await postComment(agent, aid, { message: '可以代开 发票' })).headers.location).toMatch(/pending=1/)
    ctx.t.clock.advance(20)
    expect((await postComment(agent, aid, { message: '你这个 ＢＡＤＷＯＲＤ 和 b a d w o r d！' })).status).toBe(303)
    expect((await rows(aid)).map((r) => [r.status, r.body])).toEqual([['pending', '可以代开 发票'], ['visible', '你这个 [哔] 和 [哔]！']])
    expect(await commentCount(aid)).toBe(1)
    for (const w of (await words.page(1)).words) await words.remove(w.id)
  })

  it('refuses post-banned and visit-banned members', async () => {
    const aid = await newArticle()
    const { user, agent } = await member()
    await banUser(ctx.db.knex, user.id, { type: 'post', until: ctx.t.clock.now() + 3600, reason: '灌水' })
    const res = await postComment(agent, aid, { message: '我被禁言了吗' })
    expect(res.status).toBe(403)
    expect(res.text).toContain('抱歉，您已被禁止发言')
    await banUser(ctx.db.knex, user.id, { type: 'visit', until: null })
    const visit = await agent.post(`/article/${aid}/comments`).type('form').send({ message: '禁止访问' })
    expect(visit.status).toBe(403)
    expect(await rows(aid)).toHaveLength(0)
  })

  it('refuses a post without a valid CSRF token and changes nothing', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    await agent.get(`/article/${aid}`)
    const res = await agent.post(`/article/${aid}/comments`).type('form').send({ message: '没有令牌' })
    expect(res.status).toBe(403)
    const forged = await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: 'forged', message: '伪造令牌' })
    expect(forged.status).toBe(403)
    expect(await rows(aid)).toHaveLength(0)
    expect(await commentCount(aid)).toBe(0)
  })

  it('honours the article and category allow-comments switches', async () => {
    const closedArticle = await newArticle({ allowComments: false })
    const closedCategory = await createCategory(ctx.db.knex, { name: '公告', allowComments: false })
    const child = await createCategory(ctx.db.knex, { name: '公告子类', parentId: closedCategory })
    const inClosed = await newArticle({ categoryId: child })
    ctx.t.clock.advance(10) // past the portal's category cache
    const { agent } = await member()
    for (const aid of [closedArticle, inClosed]) {
      const page = await agent.get(`/article/${aid}`).expect(200)
      expect(page.text).toContain('该文章不允许评论')
      expect(page.text).not.toContain('quick-comment-form')
      const res = await postComment(agent, aid, { message: '能评论吗' })
      expect(res.status).toBe(403)
      expect(res.text).toContain('该文章不允许评论')
      const json = await postComment(agent, aid, { message: '能评论吗' }, { json: true })
      expect(json.status).toBe(403)
      expect(json.body.error).toBe('该文章不允许评论')
      expect(await rows(aid)).toHaveLength(0)
    }
  })

  it('renders XSS payloads inert, links URLs with rel="nofollow ugc noopener", and keeps emoji and very long lines', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const payload = '<script>alert(1)</script> <img src=x onerror=alert(2)> "onmouseover="alert(3) javascript:alert(4) https://example.com/a?b=1&c=<x>'
    expect((await postComment(agent, aid, { message: payload })).status).toBe(303)
    ctx.t.clock.advance(20)
    const long = '长'.repeat(900) + '𝕏😀👨‍👩‍👧'
    expect((await postComment(agent, aid, { message: long })).status).toBe(303)
    // (The payload has a link, so it waits for review: its author sees it.)
    const page = await agent.get(`/article/${aid}`).expect(200)
    expect(page.text).not.toContain('<script>alert(1)')
    expect(page.text).not.toContain('<img src=x')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.text).toContain('&lt;img src=x onerror=alert(2)&gt;')
    expect(page.text).toContain('&quot;onmouseover=&quot;alert(3)')
    expect(page.text).not.toContain('href="javascript')
    expect(page.text).toContain('<a href="https://example.com/a?b=1&amp;c=" rel="nofollow ugc noopener" target="_blank">https://example.com/a?b=1&amp;c=</a>&lt;x&gt;')
    expect(page.text).toContain(long)
    const stored = await rows(aid)
    expect(stored[0]?.body).toBe(payload)
    expect(stored[1]?.body).toBe(long)
  })

  it('prefills a quote with ?quote= (no-JS fallback) and carries data-quote for the script', async () => {
    const aid = await newArticle()
    const { agent } = await member({ username: '被引用者' })
    const cid = commentIdFrom(await postComment(agent, aid, { message: '原来的观点' }))
    const { agent: other } = await member()
    const page = await other.get(`/article/${aid}?quote=${cid}`).expect(200)
    expect(page.text).toContain('>&gt; 被引用者 的评论：原来的观点\n</textarea>')
    expect(page.text).toContain(`data-quote="&gt; 被引用者 的评论：原来的观点`)
    const reply = await postComment(other, aid, { message: '> 被引用者 的评论：原来的观点\n我不同意' })
    expect(reply.status).toBe(303)
    const after = await other.get(`/article/${aid}`)
    expect(after.text).toContain('<blockquote>被引用者 的评论：原来的观点</blockquote>我不同意')
  })
})
