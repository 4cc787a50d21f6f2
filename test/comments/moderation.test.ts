import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { commentIdFrom, postComment } from './helpers'
import { reconcileCommentCounts } from '../../src/features/comments/cli'
import type { AuditRow } from '../../src/features/moderation/audit'
import { renderCommentText } from '../../src/lib/comment-text'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('comment moderation, edits and lists on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let editor: CreatedUser
  let moderator: CreatedUser
  let categoryId: number

  beforeAll(async () => {
    editor = await createUser(ctx.db.knex, { username: '编辑部' })
    moderator = await createUser(ctx.db.knex, { username: '版主甲', role: 'moderator' })
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)
  const newArticle = async () => await createArticle(ctx.db.knex, { categoryId, authorId: editor.id })
  const member = async (fields: Parameters<typeof createUser>[1] = {}) => {
    const u = await createUser(ctx.db.knex, fields)
    return { user: u, agent: await login(browser(), u.username, u.password) }
  }
  const commentCount = async (aid: number) => Number((await ctx.db.knex('articles').where('id', aid).first('comment_count')).comment_count)
  const statusOf = async (cid: number) => (await ctx.db.knex('comments').where('id', cid).first('status')).status as string
  const audits = async (action: string): Promise<AuditRow[]> => await ctx.db.knex<AuditRow>('moderation_log').where('action', action).orderBy('id')

  it('lets the author edit (最后编辑于) and delete their own comment; another member may not', async () => {
    const aid = await newArticle()
    const { agent } = await member({ username: '作者乙' })
    const cid = commentIdFrom(await postComment(agent, aid, { message: '原文' }))
    const page = await agent.get(`/article/${aid}`)
    expect(page.text).toContain(`href="/comments/${cid}/edit">编辑</a>`)
    expect(page.text).toContain(`action="/comments/${cid}/delete"`)

    const { agent: other } = await member()
    const otherPage = await other.get(`/article/${aid}`)
    expect(otherPage.text).not.toContain(`/comments/${cid}/edit`)
    await other.get(`/comments/${cid}/edit`).expect(403)
    const token = csrfFrom(otherPage.text)
    await other.post(`/comments/${cid}/edit`).type('form').send({ _csrf: token, message: '篡改' }).expect(403)
    await other.post(`/comments/${cid}/delete`).type('form').send({ _csrf: token }).expect(403)
    await ctx.t.agent().get(`/comments/${cid}/edit`).expect(401)

    const form = await agent.get(`/comments/${cid}/edit`).expect(200)
    expect(form.text).toContain('>原文</textarea>')
    ctx.t.clock.advance(60)
    const tooShort = await agent.post(`/comments/${cid}/edit`).type('form').send({ _csrf: csrfFrom(form.text), message: 'x' })
    expect(tooShort.status).toBe(400)
    expect(tooShort.text).toContain('评论内容至少 2 个字节（一个汉字算 2 个）')
    expect(tooShort.text).toContain('>x</textarea>')
    const saved = await agent.post(`/comments/${cid}/edit`).type('form').send({ _csrf: csrfFrom(form.text), message: '修改后的内容' })
    expect(saved.status).toBe(303)
    expect(saved.headers.location).toBe(`/article/${aid}#comment-${cid}`)
    const after = await browser().get(`/article/${aid}`)
    expect(after.text).toContain('修改后的内容')
    expect(after.text).toMatch(/最后编辑于 \d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
    expect(await commentCount(aid)).toBe(1)
    expect(await audits('comment_edit')).toHaveLength(0) // own edits are not moderation

    await agent.post(`/comments/${cid}/delete`).type('form').send({ _csrf: csrfFrom(form.text) }).expect(303)
    expect(await statusOf(cid)).toBe('deleted') // soft: the row is kept
    expect(await commentCount(aid)).toBe(0)
    expect((await browser().get(`/article/${aid}`)).text).not.toContain('修改后的内容')
    await agent.get(`/comments/${cid}/edit`).expect(404)
    await agent.post(`/comments/${cid}/delete`).type('form').send({ _csrf: csrfFrom(form.text) }).expect(404)
  })

  it('lets a moderator edit and delete any comment, audited in the same transaction', async () => {
    const aid = await newArticle()
    const { user, agent } = await member()
    const cid = commentIdFrom(await postComment(agent, aid, { message: '需要版主处理' }))
    const mod = await login(browser(), moderator.username, moderator.password)
    const page = await mod.get(`/article/${aid}`)
    expect(page.text).toContain(`/comments/${cid}/edit`)
    await mod.post(`/comments/${cid}/edit`).type('form').send({ _csrf: csrfFrom(page.text), message: '版主修改过' }).expect(303)
    const [edit] = await audits('comment_edit')
    expect(edit).toMatchObject({ actor_id: moderator.id, target_type: 'comment', target_id: cid, target_user_id: user.id })
    const after = await browser().get(`/article/${aid}`)
    expect(after.text).toContain('（版主甲）')
    await mod.post(`/comments/${cid}/delete`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
    expect(await statusOf(cid)).toBe('deleted')
    expect(await commentCount(aid)).toBe(0)
    const [del] = await audits('comment_delete')
    expect(del).toMatchObject({ actor_id: moderator.id, target_id: cid, target_user_id: user.id })
    expect(JSON.parse(del?.before_state ?? 'null')).toEqual({ status: 'visible' })
  })

  it('runs the review queue: moderators only, approve one, bulk delete, counts and audit rows follow', async () => {
    // The guest captcha has its own tests (test/captcha/); off here.
    await ctx.db.knex('settings').insert([{ key: 'guest_comments', value: '1' }, { key: 'captcha_guest_comments', value: '0' }])
    ctx.t.app.settings.invalidate()
    const aid = await newArticle()
    const guest = browser()
    const ids: number[] = []
    for (const message of ['游客一', '游客二', '游客三']) {
      await postComment(guest, aid, { message, guest_name: '路人' })
      ids.push(Number((await ctx.db.knex('comments').where({ article_id: aid, body: message }).first('id')).id))
    }
    expect(await commentCount(aid)).toBe(0)
    const { agent: plain } = await member()
    await plain.get('/mod/comments').expect(403)
    await guest.get('/mod/comments').expect(401)

    const mod = await login(browser(), moderator.username, moderator.password)
    const queue = await mod.get('/mod/comments').expect(200)
    expect(queue.text).toContain('评论审核')
    for (const text of ['游客一', '游客二', '游客三', '游客 路人']) expect(queue.text).toContain(text)
    // The moderator sees pending comments on the article too, and no "hidden" hint.
    const articlePage = await mod.get(`/article/${aid}`)
    expect(articlePage.text).toContain('游客一')
    expect(articlePage.text).not.toContain('因未通过审核而被隐藏')

    const token = csrfFrom(queue.text)
    await mod.post('/mod/comments').type('form').send({ single: `approve:${ids[0]}` }).expect(403) // no CSRF token
    expect(await statusOf(ids[0] ?? 0)).toBe('pending')
    await mod.post('/mod/comments').type('form').send({ _csrf: token, single: `approve:${ids[0]}` }).expect(303)
    expect(await statusOf(ids[0] ?? 0)).toBe('visible')
    expect(await commentCount(aid)).toBe(1)
    // Approving again changes nothing (already handled).
    await mod.post('/mod/comments').type('form').send({ _csrf: token, single: `approve:${ids[0]}` }).expect(303)
    expect(await commentCount(aid)).toBe(1)

    const none = await mod.post('/mod/comments').type('form').send({ _csrf: token, action: 'delete' })
    expect(none.status).toBe(400)
    expect(none.text).toContain('请选择要操作的评论')
    await mod.post('/mod/comments').type('form').send(`_csrf=${encodeURIComponent(token)}&action=delete&cid=${ids[1]}&cid=${ids[2]}`).expect(303)
    expect(await statusOf(ids[1] ?? 0)).toBe('deleted')
    expect(await statusOf(ids[2] ?? 0)).toBe('deleted')
    expect(await commentCount(aid)).toBe(1)
    expect((await audits('comment_approve')).map((a) => a.target_id)).toEqual([ids[0]])
    expect((await audits('comment_delete')).filter((a) => a.actor_id === moderator.id).map((a) => a.target_id)).toEqual(expect.arrayContaining([ids[1], ids[2]]))
    expect((await mod.get('/mod/comments')).text).toContain('没有待审核的评论')
    await ctx.db.knex('settings').whereIn('key', ['guest_comments', 'captcha_guest_comments']).delete()
    ctx.t.app.settings.invalidate()
  })

  it('pages the full list 25 a page, newest first, with breadcrumb; the article shows the 20 newest', async () => {
    const aid = await newArticle()
    const author = await createUser(ctx.db.knex)
    const base = ctx.t.clock.now() - 10000
    const rows = Array.from({ length: 26 }, (_, i) => ({ article_id: aid, author_id: author.id, status: 'visible', body: `评论编号${i + 1}号`, created_at: base + i, list_position: i + 1 }))
    await ctx.db.knex('comments').insert(rows)
    await ctx.db.knex('articles').where('id', aid).update({ comment_count: 26 })
    const count = (html: string) => (html.match(/<li class="comment( comment-pending)?" id="comment-/g) ?? []).length

    const article = await browser().get(`/article/${aid}`).expect(200)
    expect(count(article.text)).toBe(20)
    expect(article.text).toContain('评论编号26号')
    expect(article.text).not.toContain('评论编号6号<')
    expect(article.text).toContain('查看全部评论(26)')
    expect(article.text).toContain(`href="/article/${aid}/comments"`)

    const p1 = await browser().get(`/article/${aid}/comments`).expect(200)
    expect(count(p1.text)).toBe(25)
    expect(p1.text.indexOf('评论编号26号')).toBeLessThan(p1.text.indexOf('评论编号2号<'))
    expect(p1.text).not.toContain('评论编号1号<')
    expect(p1.text).toMatch(/<em>›<\/em><a href="\/article\/\d+">[^<]+<\/a><em>›<\/em><span>查看评论<\/span>/)
    expect(p1.text).toContain(`href="/article/${aid}/comments?page=2"`)
    const p2 = await browser().get(`/article/${aid}/comments?page=2`).expect(200)
    expect(count(p2.text)).toBe(1)
    expect(p2.text).toContain('评论编号1号')
    const past = await browser().get(`/article/${aid}/comments?page=9`).expect(200)
    expect(count(past.text)).toBe(1) // clamped to the last page
    await browser().get('/article/999999/comments').expect(404)
  })

  it('keeps the count equal to visible comments after each operation, and reconcile finds and fixes drift', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const first = commentIdFrom(await postComment(agent, aid, { message: '第一条' }))
    ctx.t.clock.advance(20)
    commentIdFrom(await postComment(agent, aid, { message: '第二条' }))
    expect(await commentCount(aid)).toBe(2)
    const page = await agent.get(`/article/${aid}`)
    await agent.post(`/comments/${first}/delete`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
    expect(await commentCount(aid)).toBe(1)

    await ctx.db.knex('articles').where('id', aid).update({ comment_count: 7 })
    const dry = await reconcileCommentCounts(ctx.db.knex, false)
    expect(dry.drifted).toEqual([{ id: aid, stored: 7, actual: 1 }])
    expect(await commentCount(aid)).toBe(7)
    const fixed = await reconcileCommentCounts(ctx.db.knex, true, 2)
    expect(fixed.drifted).toEqual([{ id: aid, stored: 7, actual: 1 }])
    expect(fixed.checked).toBeGreaterThan(2)
    expect(await commentCount(aid)).toBe(1)
    expect((await reconcileCommentCounts(ctx.db.knex, true)).drifted).toEqual([])
  })

  it('moves a visible comment back to review when an edit adds a moderated word', async () => {
    const aid = await newArticle()
    const { agent } = await member()
    const cid = commentIdFrom(await postComment(agent, aid, { message: '正常内容' }))
    expect(await commentCount(aid)).toBe(1)
    const { antiAbuseFor } = await import('../../src/features/antiabuse/service')
    await antiAbuseFor(ctx.t.app.db).words.add({ word: '加微信', action: 'moderate', by: null, now: 1 })
    const page = await agent.get(`/article/${aid}`)
    await agent.post(`/comments/${cid}/edit`).type('form').send({ _csrf: csrfFrom(page.text), message: '请加 微 信' }).expect(303)
    expect(await statusOf(cid)).toBe('pending')
    expect(await commentCount(aid)).toBe(0)
  })

  it('offers the latest comments of a member for the profile page', async () => {
    const aid = await newArticle()
    const { user, agent } = await member()
    await postComment(agent, aid, { message: '个人主页一' })
    ctx.t.clock.advance(20)
    await postComment(agent, aid, { message: '个人主页二' })
    const latest = await ctx.t.app.comments.latestByAuthor(user.id, 1)
    expect(latest).toHaveLength(1)
    expect(latest[0]).toMatchObject({ article_id: aid, body: '个人主页二' })
    expect(await ctx.t.app.comments.countByAuthor(user.id)).toBe(2)
  })
})

describe('comment text rendering', () => {
  it('escapes everything and adds only line breaks, quotes and safe links', () => {
    expect(renderCommentText('a<b>\n> 引用 <i>\nc')).toBe('a&lt;b&gt;<blockquote>引用 &lt;i&gt;</blockquote>c')
    expect(renderCommentText('见 https://example.com/x，谢谢')).toBe('见 <a href="https://example.com/x" rel="nofollow ugc noopener" target="_blank">https://example.com/x</a>，谢谢')
    expect(renderCommentText('javascript:alert(1) http://"onx=1')).toBe('javascript:alert(1) http://&quot;onx=1')
  })
})

describe.each(dialects)('simultaneous comments and rate limits on %s', (dialect) => {
  const ctx = useTestApp(dialect)

  it('takes comments from several members on one article at the same moment, counting each', async () => {
    const editor = await createUser(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: editor.id })
    const posters = await Promise.all(Array.from({ length: 5 }, async () => {
      const u = await createUser(ctx.db.knex)
      const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), u.username, u.password)
      const token = csrfFrom((await agent.get(`/article/${aid}`)).text)
      return { agent, token }
    }))
    const results = await Promise.all(posters.map(async ({ agent, token }, i) =>
      await agent.post(`/article/${aid}/comments`).type('form').send({ _csrf: token, message: `同一时刻的评论${i}` })))
    expect(results.map((r) => r.status)).toEqual([303, 303, 303, 303, 303])
    expect(Number((await ctx.db.knex('articles').where('id', aid).first('comment_count')).comment_count)).toBe(5)
  })

  it('rate-limits posting per visitor (20 a minute)', async () => {
    const editor = await createUser(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: editor.id })
    const guest = ctx.t.agent().set('User-Agent', BROWSER)
    const token = csrfFrom((await guest.get('/login')).text)
    const statuses: number[] = []
    for (let i = 0; i < 21; i++) statuses.push((await guest.post(`/article/${aid}/comments`).type('form').send({ _csrf: token, message: '游客刷屏' })).status)
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true)
    expect(statuses[20]).toBe(429)
  })
})
