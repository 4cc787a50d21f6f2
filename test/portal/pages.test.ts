import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('portal pages on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let authorId: number
  let parentId: number
  let childId: number
  let articleIds: number[]
  const now = Math.floor(Date.now() / 1000)

  beforeAll(async () => {
    authorId = (await createUser(ctx.db.knex, { username: '编辑小王' })).id
    parentId = await createCategory(ctx.db.knex, { name: '新闻资讯' })
    childId = await createCategory(ctx.db.knex, { name: '本地新闻', parentId })
    articleIds = []
    for (let i = 0; i < 23; i++) {
      articleIds.push(await createArticle(ctx.db.knex, {
        categoryId: childId, authorId, title: `本地新闻第${i + 1}篇`, publishedAt: now - 86400 * (30 - i), views: i * 10
      }))
    }
    await ctx.db.knex('settings').insert([
      { key: 'site_name', value: '测试社区' },
      { key: 'site_icp', value: '粤ICP备00000000号' },
      { key: 'report_phone', value: '0754-12345678' }
    ])
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)

  it('shows the portal home with newest articles, categories, hot list and the footer from settings', async () => {
    const res = await browser().get('/').expect(200)
    expect(res.text).toContain('<title>门户 - 测试社区</title>')
    expect(res.text).toContain('本地新闻第23篇') // newest first
    expect(res.text).toContain('href="/category/' + String(childId) + '"')
    expect(res.text).toContain('热门文章')
    expect(res.text).toContain('粤ICP备00000000号')
    expect(res.text).toContain('0754-12345678')
    for (const label of ['手机版', '小黑屋', 'Archiver']) expect(res.text).toContain(label)
    expect(res.text).not.toContain('关于我们') // no page behind it yet (test/infra/site-chrome.test.ts)
    expect(res.text).toMatch(/GMT\+8, \d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
  })

  it('lists a category 20 a page, newest first, with breadcrumb and subcategories; the parent includes its children', async () => {
    const child = await browser().get(`/category/${childId}`).expect(200)
    expect(child.text).toContain('<title>本地新闻 - 测试社区</title>')
    expect(child.text).toMatch(/首页<\/a><em>›<\/em><a href="\/">门户<\/a><em>›<\/em><a href="\/category\/\d+">新闻资讯<\/a><em>›<\/em><span>本地新闻<\/span>/)
    expect((child.text.match(/<li>\s*<h3>/g) ?? []).length).toBe(20)
    expect(child.text).toContain('本地新闻第23篇')
    expect(child.text).not.toContain('本地新闻第3篇<')
    const page2 = await browser().get(`/category/${childId}?page=2`).expect(200)
    expect((page2.text.match(/<li>\s*<h3>/g) ?? []).length).toBe(3)
    expect(page2.text).toContain('本地新闻第1篇')
    const parent = await browser().get(`/category/${parentId}`).expect(200)
    expect(parent.text).toContain('子分类')
    expect(parent.text).toContain('本地新闻第23篇')
  })

  it('shows an article Discuz-style: breadcrumb, title, info line, summary, body, previous/next, hot list', async () => {
    const id = articleIds[10] ?? 0
    const res = await browser().get(`/article/${id}`).expect(200)
    expect(res.text).toContain('<title>本地新闻第11篇 - 本地新闻 - 测试社区</title>')
    expect(res.text).toContain('<meta name="description" content="这是一段测试摘要。">')
    expect(res.text).toMatch(/门户<\/a><em>›<\/em><a href="\/category\/\d+">新闻资讯<\/a><em>›<\/em><a href="\/category\/\d+">本地新闻<\/a><em>›<\/em><span>查看内容<\/span>/)
    expect(res.text).toMatch(/\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}<span class="pipe">\|<\/span>发布者: <a href="\/user\/\d+">编辑小王<\/a><span class="pipe">\|<\/span>查看: <em id="view-count">101<\/em><span class="pipe">\|<\/span>评论: <a href="#comments">0<\/a><span class="pipe">\|<\/span>来自: 本站/)
    expect(res.text).toContain('<strong>摘要</strong>: 这是一段测试摘要。')
    expect(res.text).toContain('<p>第一段。</p>')
    expect(res.text).toContain(`上一篇：<a href="/article/${articleIds[9] ?? 0}">本地新闻第10篇</a>`)
    expect(res.text).toContain(`下一篇：<a href="/article/${articleIds[11] ?? 0}">本地新闻第12篇</a>`)
    expect(res.text).toContain('本地新闻热文')
    const first = await browser().get(`/article/${articleIds[0] ?? 0}`).expect(200)
    expect(first.text).toContain('上一篇：<span class="xg1">没有了</span>')
  })

  it('answers unknown, unpublished and non-numeric ids with the Chinese 404 page', async () => {
    const pending = await createArticle(ctx.db.knex, { categoryId: childId, authorId, status: 'pending', title: '待审文章' })
    for (const url of [`/article/${pending}`, '/article/999999', '/article/abc', '/article/1e3', '/article/-1']) {
      const res = await browser().get(url).expect(404)
      expect(res.text).toContain('抱歉，您指定要查看的文章不存在或正在审核')
      expect(res.text).not.toContain('待审文章')
    }
    const cat = await browser().get('/category/999999').expect(404)
    expect(cat.text).toContain('抱歉，您指定的分类不存在')
  })

  it('redirects Discuz URLs with 301', async () => {
    const a = articleIds[0] ?? 0
    await browser().get(`/portal.php?mod=view&aid=${a}`).expect(301).expect('Location', `/article/${a}`)
    await browser().get(`/article-${a}-1.html`).expect(301).expect('Location', `/article/${a}`)
    await browser().get(`/portal.php?mod=list&catid=${childId}`).expect(301).expect('Location', `/category/${childId}`)
    await browser().get('/portal.php').expect(301).expect('Location', '/')
  })

  it('removes scripts and event handlers from an article body and keeps image captions', async () => {
    const id = await createArticle(ctx.db.knex, {
      categoryId: childId,
      authorId,
      body: '正文<script>alert(1)</script>\n\n<img src="x" onerror="alert(2)">\n\n[点我](javascript:alert(3))\n\n![港口](/static/img/logo.svg "港口夜景")'
    })
    const res = await browser().get(`/article/${id}`).expect(200)
    const body = res.text.slice(res.text.indexOf('article-body'), res.text.indexOf('prev-next'))
    expect(body).not.toContain('<script')
    expect(body).not.toContain('onerror')
    expect(body).not.toContain('javascript:')
    expect(body).toContain('<img src="/static/img/logo.svg" alt="港口"')
    expect(body).toContain('▲ 港口夜景')
  })

  it('keeps a 4-byte emoji in a title through the database and the page', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: '端午龙舟🐉赛 😀' })
    const res = await browser().get(`/article/${id}`).expect(200)
    expect(res.text).toContain('<h1>端午龙舟🐉赛 😀</h1>')
  })
})
