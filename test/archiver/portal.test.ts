import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'
const CRAWLER = 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)'

/** Visible text of a page: tags removed, entities of the text left as they are. */
function textOf (html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()
}

describe.each(dialects)('Archiver, portal half, on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 } })
  let parentId: number
  let childId: number
  let articleId: number
  let authorId: number

  beforeAll(async () => {
    authorId = (await createUser(ctx.db.knex, { username: '小编' })).id
    parentId = await createCategory(ctx.db.knex, { name: '新闻资讯' })
    childId = await createCategory(ctx.db.knex, { name: '本地新闻', parentId })
    for (let i = 0; i < 25; i++) await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: `旧闻${i + 1}`, publishedAt: 1_700_000_000 + i })
    articleId = await createArticle(ctx.db.knex, {
      categoryId: childId,
      authorId,
      title: '海滨公园文化节',
      body: '秋日的海风吹过岸边。\n\n![工业成果展](/static/img/logo.svg "工业成果展")\n\n活动持续三天，**街坊**齐聚。',
      // In the past: a published_at after the test clock schedules the article (hidden until then).
      publishedAt: 1_790_000_000
    })
    await ctx.db.knex('articles').where({ id: articleId }).update({ react_luguo: 3, react_woshou: 5, react_xianhua: 12, react_jidan: 1, source_name: '濠江日报' })
  })

  const get = (url: string, ua = BROWSER) => ctx.t.agent().get(url).set('User-Agent', ua)

  it('lists the categories on the index', async () => {
    const res = await get('/archiver/').expect(200)
    expect(res.text).toContain(`<a href="/archiver/cid-${parentId}.html">新闻资讯</a>`)
    expect(res.text).toContain(`<a href="/archiver/cid-${childId}.html">本地新闻</a>`)
    expect(res.text).toMatch(/<title>濠江社区 - 濠江社区 - Archiver<\/title>/)
    expect(res.text).toContain('查看完整版本')
  })

  it('lists a category 20 a page with comment counts and a Discuz pager', async () => {
    const first = await get(`/archiver/cid-${childId}.html`).expect(200)
    expect((first.text.match(/<li><a href="\/archiver\/aid-/g) ?? []).length).toBe(20)
    expect(first.text).toContain('海滨公园文化节</a> (0篇评论)')
    expect(first.text).toContain(`页: [1] <a href="/archiver/cid-${childId}.html?page=2">2</a>`)
    expect(first.text).toContain(`<a href="/category/${childId}">查看完整版本</a>`)
    const second = await get(`/archiver/cid-${childId}.html?page=2`).expect(200)
    expect((second.text.match(/<li><a href="\/archiver\/aid-/g) ?? []).length).toBe(6)
    expect(second.text).toContain('<ol start="21">')
    expect(second.text).toContain(`<a href="/category/${childId}?page=2">查看完整版本</a>`)
  })

  it('shows an article as text within the budgets: no script, image, stylesheet link or font; ≤ 600 bytes of CSS; markup ≤ text + 2 KB', async () => {
    const res = await get(`/archiver/aid-${articleId}.html`).expect(200)
    const html = res.text
    expect(html).not.toMatch(/<script|<img|<link rel="stylesheet"|@font-face|<iframe/i)
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    expect(Buffer.byteLength(css)).toBeLessThanOrEqual(600)
    expect((html.match(/<style>/g) ?? []).length).toBe(1)
    expect(html).toContain('[图: 工业成果展]')
    expect(html).toContain('<strong>街坊</strong>')
    expect(html).toContain('路过 3 · 雷人 0 · 握手 5 · 鲜花 12 · 鸡蛋 1')
    expect(html).toContain('来自: 濠江日报')
    expect(html).toContain('<title>海滨公园文化节 - 濠江社区 - Archiver</title>')
    expect(html).toContain(`<a href="/article/${articleId}">查看完整版本</a>`)
    expect(html).toMatch(/新闻资讯<\/a> › <a href="\/archiver\/cid-\d+\.html">本地新闻<\/a> › 海滨公园文化节/)
    const text = textOf(html)
    expect(Buffer.byteLength(html) - Buffer.byteLength(text)).toBeLessThanOrEqual(2048)
  })

  it('compresses when the client accepts it', async () => {
    // supertest inflates the body itself; the header shows what went over the wire.
    const gz = await get(`/archiver/aid-${articleId}.html`).set('Accept-Encoding', 'gzip').expect(200)
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.text).toContain('海滨公园文化节')
    const br = await get(`/archiver/aid-${articleId}.html`).set('Accept-Encoding', 'br').expect(200)
    expect(br.headers['content-encoding']).toBe('br')
  })

  it('answers a conditional request with 304 and no body, and sets the cache headers', async () => {
    const first = await get(`/archiver/aid-${articleId}.html`).expect(200)
    expect(first.headers['cache-control']).toBe('public, max-age=60')
    expect(first.headers['last-modified']).toBe(new Date(1_790_000_000 * 1000).toUTCString())
    const etag = String(first.headers.etag)
    const again = await get(`/archiver/aid-${articleId}.html`).set('If-None-Match', etag).expect(304)
    expect(again.text ?? '').toBe('')
    await get(`/archiver/aid-${articleId}.html`).set('If-Modified-Since', String(first.headers['last-modified'])).expect(304)
    // A change to what the page shows changes the tag.
    await ctx.db.knex('articles').where({ id: articleId }).increment('react_leiren', 1)
    await get(`/archiver/aid-${articleId}.html`).set('If-None-Match', etag).expect(200)
    const cat = await get(`/archiver/cid-${childId}.html`).expect(200)
    await get(`/archiver/cid-${childId}.html`).set('If-None-Match', String(cat.headers.etag)).expect(304)
  })

  it('counts Archiver views toward the article views with the same dedupe', async () => {
    const before = Number((await ctx.db.knex('articles').where({ id: articleId }).first('views')).views)
    await get(`/archiver/aid-${articleId}.html`, 'Mozilla/5.0 (Reader A) Firefox/1').expect(200)
    await get(`/archiver/aid-${articleId}.html`, 'Mozilla/5.0 (Reader A) Firefox/1').expect(200)
    await get(`/archiver/aid-${articleId}.html`, 'Mozilla/5.0 (Reader B) Firefox/1').expect(200)
    await get(`/archiver/aid-${articleId}.html`, CRAWLER).expect(200)
    await ctx.t.app.viewCounts.flush()
    const after = Number((await ctx.db.knex('articles').where({ id: articleId }).first('views')).views)
    expect(after - before).toBe(2 + 1) // two distinct readers (+1: this file's earlier browser visits are one visitor)
  })

  it('redirects Discuz query forms with 301', async () => {
    await get('/archiver/?tid-12.html').expect(301).expect('Location', '/archiver/tid-12.html')
    await get('/archiver/?fid-3.html').expect(301).expect('Location', '/archiver/fid-3.html')
    await get('/archiver/?action=tid&value=7').expect(301).expect('Location', '/archiver/tid-7.html')
    await get('/archiver').expect(301).expect('Location', '/archiver/')
  })

  it('never shows pending articles, and answers unknown ids with the small 404', async () => {
    const pending = await createArticle(ctx.db.knex, { categoryId: childId, authorId, status: 'pending', title: '待审核的稿件' })
    const res = await get(`/archiver/aid-${pending}.html`).expect(404)
    expect(res.text).toContain('抱歉，您指定要查看的文章不存在或正在审核')
    expect(res.text).not.toContain('<script')
    expect(res.text).toContain('Archiver')
    const list = await get(`/archiver/cid-${childId}.html`).expect(200)
    expect(list.text).not.toContain('待审核的稿件')
    await get('/archiver/cid-999999.html').expect(404)
    await get('/archiver/nothing-here.html').expect(404)
  })

  it('switches off (404, footer link gone) and redirects humans but not crawlers when asked', async () => {
    await ctx.db.knex('settings').insert({ key: 'archiver_redirect', value: '1' })
    ctx.t.clock.advance(5)
    await get(`/archiver/aid-${articleId}.html`).expect(302).expect('Location', `/article/${articleId}`)
    await get(`/archiver/aid-${articleId}.html`, CRAWLER).expect(200)
    await ctx.db.knex('settings').insert({ key: 'archiver_enabled', value: '0' })
    ctx.t.clock.advance(5)
    await get(`/archiver/aid-${articleId}.html`, CRAWLER).expect(404)
    const home = await get('/').expect(200)
    expect(home.text).not.toContain('>Archiver</a>')
    await ctx.db.knex('settings').whereIn('key', ['archiver_redirect', 'archiver_enabled']).delete()
    ctx.t.clock.advance(5)
  })
})

describe.each(dialects)('robots.txt, sitemap.xml and the Archiver query budget on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { sitemapUrlsPerFile: 10, guestCacheMs: 1000 } })
  let ids: number[]
  const queries: string[] = []

  beforeAll(async () => {
    const authorId = (await createUser(ctx.db.knex)).id
    const categoryId = await createCategory(ctx.db.knex)
    ids = []
    for (let i = 0; i < 23; i++) ids.push(await createArticle(ctx.db.knex, { categoryId, authorId }))
    await createArticle(ctx.db.knex, { categoryId, authorId, status: 'pending', title: '不公开' })
    ctx.db.knex.on('query', (q: { sql: string }) => { queries.push(q.sql) })
  })

  it('points crawlers at the sitemap and keeps them out of member pages', async () => {
    const res = await ctx.t.agent().get('/robots.txt').set('Host', 'bbs.example.com').expect(200)
    expect(res.text).toContain('Sitemap: http://bbs.example.com/sitemap.xml')
    expect(res.text).toContain('Disallow: /mod')
  })

  it('splits the sitemap into an index of numbered files beyond the per-file limit, listing only published articles', async () => {
    const index = await ctx.t.agent().get('/sitemap.xml').set('Host', 'bbs.example.com').expect(200)
    expect(index.headers['content-type']).toContain('application/xml')
    expect(index.text).toContain('<sitemapindex')
    for (const n of [1, 2, 3]) expect(index.text).toContain(`<loc>http://bbs.example.com/sitemap-articles-${n}.xml</loc>`)
    expect(index.text).not.toContain('sitemap-articles-4.xml')
    const third = await ctx.t.agent().get('/sitemap-articles-3.xml').set('Host', 'bbs.example.com').expect(200)
    expect((third.text.match(/<url>/g) ?? []).length).toBe(3)
    expect(third.text).toContain(`<loc>http://bbs.example.com/article/${ids[22] ?? 0}</loc>`)
    await ctx.t.agent().get('/sitemap-articles-4.xml').expect(404)
    await ctx.t.agent().get('/sitemap-nothing-1.xml').expect(404)
  })

  it('serves an Archiver article page in at most 2 queries', async () => {
    await ctx.t.agent().get('/archiver/').expect(200) // warm: settings and categories are cached
    queries.length = 0
    await ctx.t.agent().get(`/archiver/aid-${ids[0] ?? 0}.html`).set('User-Agent', BROWSER).expect(200)
    expect(queries.length).toBeLessThanOrEqual(2)
  })
})
