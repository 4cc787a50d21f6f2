import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('Archiver article comments and member profile comments on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let articleId: number
  let commenter: { id: number, username: string }
  const queries: string[] = []

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    commenter = await createUser(ctx.db.knex, { username: '街坊老陈' })
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, title: '渡轮新航线' })
    const base = 1_800_000_000
    const rows = []
    for (let i = 0; i < 55; i++) rows.push({ article_id: articleId, author_id: commenter.id, status: 'visible', body: `第${i + 1}条评论\n第二行`, created_at: base + i, list_position: i + 1 })
    rows.push({ article_id: articleId, author_id: commenter.id, status: 'pending', body: '待审核的评论', created_at: base + 100 })
    rows.push({ article_id: articleId, author_id: commenter.id, status: 'deleted', body: '已删除的评论', created_at: base + 101 })
    await ctx.db.knex('comments').insert(rows)
    await ctx.db.knex('articles').where({ id: articleId }).update({ comment_count: 55 })
    ctx.db.knex.on('query', (q: { sql: string }) => { queries.push(q.sql) })
  })

  it('shows visible comments as text, 50 a page, never pending or deleted ones, in at most 2 queries', async () => {
    await ctx.t.agent().get('/archiver/').expect(200) // warm the settings and category caches
    queries.length = 0
    const first = await ctx.t.agent().get(`/archiver/aid-${articleId}.html`).set('User-Agent', BROWSER).expect(200)
    expect(queries.length).toBeLessThanOrEqual(2)
    expect((first.text.match(/class="p"/g) ?? []).length).toBe(50)
    expect(first.text).toContain('第55条评论\n第二行')
    expect(first.text).toContain('街坊老陈')
    expect(first.text).not.toContain('待审核的评论')
    expect(first.text).not.toContain('已删除的评论')
    expect(first.text).toContain(`页: [1] <a href="/archiver/aid-${articleId}.html?page=2">2</a>`)
    const second = await ctx.t.agent().get(`/archiver/aid-${articleId}.html?page=2`).set('User-Agent', BROWSER).expect(200)
    expect((second.text.match(/class="p"/g) ?? []).length).toBe(5)
    expect(second.text).toContain('第1条评论')
    expect(second.text).toContain(`<a href="/article/${articleId}/comments?page=2">查看完整版本</a>`)
  })

  it('lists the member\'s comment count and latest comments on the profile', async () => {
    const res = await ctx.t.agent().get(`/user/${commenter.id}`).expect(200)
    expect(res.text).toContain('评论数')
    expect(res.text).toContain('55')
    expect(res.text).toContain('最新评论')
    expect(res.text).toContain('渡轮新航线：第55条评论')
    expect(res.text).not.toContain('待审核的评论')
  })
})
