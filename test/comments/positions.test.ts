import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { commentIdFrom, postComment } from './helpers'
import { commentsRepository } from '../../src/features/comments/repository'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'
const PAGE_SIZE = 25

// Comment lists page by position (issue #19): page N is a range of list_position, never OFFSET. These
// tests hold the numbering dense through every change of status, and the pages to the right rows.
describe.each(dialects)('comment list positions on %s', (dialect) => {
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
  const newArticle = async () => await createArticle(ctx.db.knex, { categoryId, authorId: editor.id, publishedAt: ctx.t.clock.now() - 3600 })
  const member = async (username: string) => {
    const u = await createUser(ctx.db.knex, { username })
    return { user: u, agent: await login(browser(), u.username, u.password) }
  }
  /** Every visible comment's position, and what it should be: 1.. in (created_at, id) order; null for the others. */
  const positions = async (aid: number) => {
    const rows = await ctx.db.knex('comments').where('article_id', aid).orderBy([{ column: 'created_at' }, { column: 'id' }])
      .select<Array<{ id: number, status: string, list_position: number | null }>>('id', 'status', 'list_position')
    let n = 0
    return {
      stored: rows.map((r) => [r.id, r.list_position === null ? null : Number(r.list_position)]),
      expected: rows.map((r) => [r.id, r.status === 'visible' ? ++n : null])
    }
  }
  const insertComment = async (aid: number, fields: { body: string, createdAt: number, status?: string, authorId?: number }) => {
    const [id] = await ctx.db.knex('comments').insert({ article_id: aid, author_id: fields.authorId ?? null, status: fields.status ?? 'visible', body: fields.body, created_at: fields.createdAt })
    return Number(id)
  }

  it('answers page N of a 1,000-comment article with its 25 rows, newest first, for guests and members', async () => {
    const aid = await newArticle()
    const base = ctx.t.clock.now() - 100_000
    const rows = Array.from({ length: 1000 }, (_, i) => ({ article_id: aid, author_id: null, status: 'visible', body: `第${i}条`, created_at: base + i }))
    for (let i = 0; i < rows.length; i += 200) await ctx.db.knex('comments').insert(rows.slice(i, i + 200))
    await ctx.db.knex('articles').where('id', aid).update({ comment_count: 1000 })
    // What seed:bulk and the migration do for rows inserted without positions.
    await commentsRepository(ctx.db.knex).renumberAll()
    const p = await positions(aid)
    expect(p.stored).toEqual(p.expected)

    const { agent } = await member('读者甲')
    for (const page of [1, 17, 40]) {
      const newest = 1000 - (page - 1) * PAGE_SIZE - 1
      const oldest = newest - PAGE_SIZE + 1
      for (const client of [browser(), agent]) {
        const res = await client.get(`/article/${aid}/comments${page === 1 ? '' : `?page=${page}`}`).expect(200)
        const shown = [...res.text.matchAll(/>第(\d+)条</g)].map((m) => Number(m[1]))
        expect(shown).toEqual(Array.from({ length: PAGE_SIZE }, (_, i) => newest - i))
        expect(shown.at(-1)).toBe(oldest)
      }
    }
    // Past the last page: the last page (as before), not an empty one.
    const beyond = await browser().get(`/article/${aid}/comments?page=41`).expect(200)
    expect([...beyond.text.matchAll(/>第(\d+)条</g)].map((m) => Number(m[1]))[0]).toBe(24)
    // The article page's block: the newest 20.
    const block = await browser().get(`/article/${aid}`).expect(200)
    expect([...block.text.matchAll(/>第(\d+)条</g)].map((m) => Number(m[1]))).toEqual(Array.from({ length: 20 }, (_, i) => 999 - i))
  })

  it('keeps positions dense when comments are posted, approved late, deleted and hidden by a ban', async () => {
    const aid = await newArticle()
    const { user: author, agent } = await member('作者乙')
    const first = commentIdFrom(await postComment(agent, aid, { message: '第一条' }))
    ctx.t.clock.advance(60)
    // A comment written between the first and the second, waiting for review.
    const waiting = await insertComment(aid, { body: '审核中', createdAt: ctx.t.clock.now(), status: 'pending', authorId: author.id })
    ctx.t.clock.advance(60)
    const second = commentIdFrom(await postComment(agent, aid, { message: '第二条' }))
    ctx.t.clock.advance(60)
    const third = commentIdFrom(await postComment(agent, aid, { message: '第三条' }))
    let p = await positions(aid)
    expect(p.stored).toEqual([[first, 1], [waiting, null], [second, 2], [third, 3]])

    // Approved late: it takes its place by date, and the newer ones move up.
    const mod = await login(browser(), moderator.username, moderator.password)
    const queue = await mod.get('/mod/comments').expect(200)
    await mod.post('/mod/comments').type('form').send({ _csrf: csrfFrom(queue.text), single: `approve:${waiting}` }).expect(303)
    p = await positions(aid)
    expect(p.stored).toEqual([[first, 1], [waiting, 2], [second, 3], [third, 4]])

    // Deleted by its author: the gap closes.
    const page = await agent.get(`/article/${aid}`)
    await agent.post(`/comments/${second}/delete`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
    p = await positions(aid)
    expect(p.stored).toEqual([[first, 1], [waiting, 2], [second, null], [third, 3]])
    const list = await browser().get(`/article/${aid}/comments`).expect(200)
    expect([...list.text.matchAll(/>(第.条|审核中)</g)].map((m) => m[1])).toEqual(['第三条', '审核中', '第一条'])

    // A ban that hides the member's recent comments (the ban hook, inside the ban's transaction).
    const { agent: other } = await member('路人丙')
    ctx.t.clock.advance(60)
    const kept = commentIdFrom(await postComment(other, aid, { message: '路人的话' }))
    await ctx.db.knex.transaction(async (trx) => {
      await ctx.t.app.comments.hideRecent({ userId: author.id, since: 0, at: ctx.t.clock.now(), moderatorId: moderator.id }, trx)
    })
    p = await positions(aid)
    expect(p.stored).toEqual(p.expected)
    expect(p.stored.find(([id]) => id === kept)).toEqual([kept, 1])
    expect(Number((await ctx.db.knex('articles').where('id', aid).first('comment_count')).comment_count)).toBe(1)
  })

  it('shows a pending comment to its author and to moderators on page 1, to nobody else', async () => {
    const aid = await newArticle()
    const { user: author, agent } = await member('作者丁')
    const { agent: other } = await member('读者戊')
    const base = ctx.t.clock.now() - 10_000
    for (let i = 0; i < 30; i++) await insertComment(aid, { body: `旧评论${i}`, createdAt: base + i })
    await commentsRepository(ctx.db.knex).renumberAll()
    await ctx.db.knex('articles').where('id', aid).update({ comment_count: 30 })
    await insertComment(aid, { body: '我的待审评论', createdAt: ctx.t.clock.now(), status: 'pending', authorId: author.id })
    const mod = await login(browser(), moderator.username, moderator.password)

    for (const [client, sees] of [[agent, true], [mod, true], [other, false], [browser(), false]] as const) {
      const list = await client.get(`/article/${aid}/comments`).expect(200)
      expect(list.text.includes('我的待审评论')).toBe(sees)
      const article = await client.get(`/article/${aid}`).expect(200)
      expect(article.text.includes('我的待审评论')).toBe(sees)
      // Page 2 is the same five visible comments for everyone: a pending one does not shift the pages.
      const second = await client.get(`/article/${aid}/comments?page=2`).expect(200)
      expect([...second.text.matchAll(/>旧评论(\d+)</g)].map((m) => Number(m[1]))).toEqual([4, 3, 2, 1, 0])
      expect(second.text).not.toContain('我的待审评论')
    }
  })
})
