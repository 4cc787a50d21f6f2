import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

/** RSS 2.0 feeds: /rss.xml and /category/:catid/rss.xml, parsed by an XML parser and checked. */

interface RssItem { title: string, link: string, guid: { '#text': string, '@_isPermaLink': string }, pubDate: string, description: string, category?: string }
interface Rss {
  rss: {
    '@_version': string
    channel: { title: string, link: string, description: string, language: string, lastBuildDate?: string, item?: RssItem[] }
  }
}

const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'item', parseTagValue: false })

function parseFeed (xml: string): Rss['rss']['channel'] {
  expect(XMLValidator.validate(xml)).toBe(true)
  const doc = parser.parse(xml) as Rss
  expect(doc.rss['@_version']).toBe('2.0')
  return doc.rss.channel
}

const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

describe.each(dialects)('RSS feeds on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let parentId: number
  let childId: number
  let otherId: number
  let escapedId: number
  let scheduledId: number
  let hiddenId: number
  const base = Math.floor(Date.now() / 1000) - 100 * 86400

  beforeAll(async () => {
    const authorId = (await createUser(ctx.db.knex, { username: '编辑部' })).id
    parentId = await createCategory(ctx.db.knex, { name: '新闻' })
    childId = await createCategory(ctx.db.knex, { name: '本地', parentId })
    otherId = await createCategory(ctx.db.knex, { name: '生活' })
    // 22 in 生活, older; then the parent's and the child's; then the newest one, with markup in its title.
    for (let i = 0; i < 22; i++) {
      await createArticle(ctx.db.knex, { categoryId: otherId, authorId, title: `生活第${i + 1}篇`, publishedAt: base + i * 60 })
    }
    await createArticle(ctx.db.knex, { categoryId: parentId, authorId, title: '新闻本身的文章', publishedAt: base + 3000 })
    await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: '子分类的文章', publishedAt: base + 3100 })
    escapedId = await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: 'A <b>&</b> "B" 标题', summary: '摘要里有 <script>alert(1)</script> & 符号', publishedAt: base + 3200 })
    hiddenId = await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: '已隐藏的文章', status: 'hidden', publishedAt: base + 3300 })
    // Scheduled: published, but its time is still to come (the test clock's now + one hour).
    scheduledId = await createArticle(ctx.db.knex, { categoryId: childId, authorId, title: '定时发布的文章', publishedAt: Math.floor(ctx.t.clock.nowMs() / 1000) + 3600 })
    await ctx.db.knex('settings').insert({ key: 'site_name', value: '测试<社区>' })
  })

  const get = (url: string) => ctx.t.agent().get(url)

  it('serves /rss.xml as valid RSS 2.0: the channel from the site, the newest 20, newest first', async () => {
    const res = await get('/rss.xml').expect(200)
    expect(res.headers['content-type']).toBe('application/rss+xml; charset=utf-8')
    const channel = parseFeed(res.text)
    expect(channel.title).toBe('测试<社区>')
    expect(res.text).toContain('<title>测试&lt;社区&gt;</title>')
    expect(channel.language).toBe('zh-CN')
    expect(channel.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(channel.description).toContain('最新文章')
    expect(channel.lastBuildDate).toMatch(RFC822)
    const items = channel.item ?? []
    expect(items).toHaveLength(20)
    expect(items.map((i) => i.title).slice(0, 3)).toEqual(['A <b>&</b> "B" 标题', '子分类的文章', '新闻本身的文章'])
    const times = items.map((i) => Date.parse(i.pubDate))
    expect([...times].sort((a, b) => b - a)).toEqual(times)
    expect(items[19]?.title).toBe('生活第6篇')
    expect(channel.lastBuildDate).toBe(items[0]?.pubDate)
  })

  it('gives each item an absolute link, a permalink guid, an RFC 822 date, the summary and the category', async () => {
    const channel = parseFeed((await get('/rss.xml').expect(200)).text)
    const item = (channel.item ?? [])[0]
    expect(item?.link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/article/${escapedId}$`))
    expect(item?.guid['#text']).toBe(item?.link)
    expect(item?.guid['@_isPermaLink']).toBe('true')
    expect(item?.pubDate).toMatch(RFC822)
    expect(item?.pubDate).toBe(new Date((base + 3200) * 1000).toUTCString())
    // HTML for the reader, which shows it as the text it was.
    expect(item?.description).toBe('摘要里有 &lt;script&gt;alert(1)&lt;/script&gt; &amp; 符号')
    expect(item?.category).toBe('本地')
  })

  it('escapes titles and summaries: no raw markup in the document', async () => {
    const xml = (await get('/rss.xml').expect(200)).text
    expect(xml).toContain('<title>A &lt;b&gt;&amp;&lt;/b&gt; &quot;B&quot; 标题</title>')
    // The description is HTML inside XML: escaped twice.
    expect(xml).toContain('&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &amp;amp; 符号')
    expect(xml).not.toContain('<script>')
    expect(xml).not.toContain('<b>')
  })

  it('never lists a hidden article, nor a scheduled one before its time; it appears when the time comes', async () => {
    const before = (await get('/rss.xml').expect(200)).text
    expect(before).not.toContain('已隐藏的文章')
    expect(before).not.toContain('定时发布的文章')
    expect(before).not.toContain(`/article/${hiddenId}<`)
    expect((await get(`/category/${childId}/rss.xml`).expect(200)).text).not.toContain('定时发布的文章')
    ctx.t.clock.advance(3601)
    try {
      const after = parseFeed((await get('/rss.xml').expect(200)).text)
      expect(after.item?.[0]?.title).toBe('定时发布的文章')
      expect(after.item?.[0]?.link).toMatch(new RegExp(`/article/${scheduledId}$`))
    } finally {
      ctx.t.clock.advance(-3601)
    }
  })

  it('serves a category\'s feed with its subcategories\' articles, and only those', async () => {
    const res = await get(`/category/${parentId}/rss.xml`).expect(200)
    expect(res.headers['content-type']).toBe('application/rss+xml; charset=utf-8')
    const channel = parseFeed(res.text)
    expect(channel.title).toBe('新闻 - 测试<社区>')
    expect(channel.link).toMatch(new RegExp(`/category/${parentId}$`))
    expect((channel.item ?? []).map((i) => i.title)).toEqual(['A <b>&</b> "B" 标题', '子分类的文章', '新闻本身的文章'])
    const child = parseFeed((await get(`/category/${childId}/rss.xml`).expect(200)).text)
    expect((child.item ?? []).map((i) => i.title)).toEqual(['A <b>&</b> "B" 标题', '子分类的文章'])
    await get('/category/999999/rss.xml').expect(404)
    await get('/category/abc/rss.xml').expect(404)
  })

  it('builds links from SITE_URL when it is set, never from the Host header', async () => {
    const app = await ctx.secondApp({ env: { SITE_URL: 'https://bbs.example.com' } })
    try {
      const channel = parseFeed((await app.agent().get('/rss.xml').set('Host', 'evil.example').expect(200)).text)
      expect(channel.link).toBe('https://bbs.example.com/')
      expect(channel.item?.[0]?.link).toBe(`https://bbs.example.com/article/${escapedId}`)
      expect((await app.agent().get('/rss.xml').set('Host', 'evil.example')).text).not.toContain('evil.example')
    } finally {
      await app.close()
    }
  })

  it('answers a conditional request with 304 (ETag and Last-Modified), and a changed feed with 200', async () => {
    // One origin for every request (without SITE_URL each supertest request comes on its own port).
    const fixed = (url: string) => get(url).set('Host', 'luntan.test')
    const first = await fixed('/rss.xml').expect(200)
    const etag = String(first.headers.etag)
    expect(etag).not.toBe('undefined')
    expect(first.headers['last-modified']).toBe(new Date((base + 3200) * 1000).toUTCString())
    expect(first.headers['cache-control']).toBe('public, max-age=60')
    const again = await fixed('/rss.xml').set('If-None-Match', etag).expect(304)
    expect(again.text ?? '').toBe('')
    await ctx.db.knex('articles').where({ id: escapedId }).update({ status: 'hidden' })
    try {
      await fixed('/rss.xml').set('If-None-Match', etag).expect(200)
    } finally {
      await ctx.db.knex('articles').where({ id: escapedId }).update({ status: 'published' })
    }
  })

  it('reuses a built feed for a short while when caching is on', async () => {
    // A fixed origin: without SITE_URL each supertest request has its own port, so its own copy.
    const cached = await ctx.secondApp({ guestCacheMs: 1000, env: { SITE_URL: 'https://bbs.example.com' } })
    try {
      const first = await cached.agent().get('/rss.xml').expect(200)
      await ctx.db.knex('articles').where({ id: escapedId }).update({ title: '改过的标题' })
      expect((await cached.agent().get('/rss.xml').expect(200)).text).toBe(first.text)
      cached.clock.advance(11)
      expect((await cached.agent().get('/rss.xml').expect(200)).text).toContain('改过的标题')
    } finally {
      await ctx.db.knex('articles').where({ id: escapedId }).update({ title: 'A <b>&</b> "B" 标题' })
      await cached.close()
    }
  })

  it('links the feeds from the home and category pages, and answers Discuz\'s portal.php?mod=rss with 301', async () => {
    const home = await get('/').expect(200)
    expect(home.text).toContain('<link rel="alternate" type="application/rss+xml" title="测试&lt;社区&gt;" href="/rss.xml">')
    const cat = await get(`/category/${childId}`).expect(200)
    expect(cat.text).toContain(`<link rel="alternate" type="application/rss+xml" title="本地 - 测试&lt;社区&gt;" href="/category/${childId}/rss.xml">`)
    await get('/portal.php?mod=rss').expect(301).expect('Location', '/rss.xml')
    await get(`/portal.php?mod=rss&catid=${childId}`).expect(301).expect('Location', `/category/${childId}/rss.xml`)
    await get('/portal.php?mod=rss&catid=x').expect(301).expect('Location', '/rss.xml')
  })
})
