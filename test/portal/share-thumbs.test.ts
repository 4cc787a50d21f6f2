import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

/** Open Graph / Twitter-card meta on article pages, and the first picture as the lists' thumbnail. */

const HASH = 'ab' + 'cd' + 'e'.repeat(60)
const UPLOAD = `/uploads/ab/cd/${HASH}-m.jpg`
const THUMB = `/uploads/ab/cd/${HASH}-t.jpg`

function meta (html: string, attr: 'property' | 'name', key: string): string | null {
  const m = new RegExp(`<meta ${attr}="${key.replace(/[.:]/g, '\\$&')}" content="([^"]*)">`).exec(html)
  return m?.[1] ?? null
}

/** The list row (li) of an article in a list page. */
function rowOf (html: string, id: number): string {
  const at = html.indexOf(`<h3><a href="/article/${id}">`)
  if (at === -1) return ''
  const start = html.lastIndexOf('<li', at)
  return html.slice(start, html.indexOf('</li>', at))
}

describe.each(dialects)('sharing meta and list thumbnails on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: { SITE_URL: 'https://bbs.example.com' } } })
  let categoryId: number
  let illustrated: number
  let plain: number
  let sitePicture: number
  const publishedAt = 1_760_000_000 // in the past: a later time is a scheduled article, hidden until then

  beforeAll(async () => {
    const authorId = (await createUser(ctx.db.knex)).id
    categoryId = await createCategory(ctx.db.knex, { name: '图片新闻' })
    illustrated = await createArticle(ctx.db.knex, {
      categoryId,
      authorId,
      title: '码头 "夜景" <与> & 灯火',
      summary: '一段 "带引号" 的 <摘要> & 说明',
      body: `开头一段。\n\n![码头](${UPLOAD} "码头夜景")\n\n<!-- 分页 -->\n\n![第二张](/static/img/logo.svg)`,
      publishedAt
    })
    plain = await createArticle(ctx.db.knex, { categoryId, authorId, title: '没有图片的文章', body: '只有文字。' })
    sitePicture = await createArticle(ctx.db.knex, { categoryId, authorId, title: '站内图标', body: '![标志](/static/img/logo.svg)' })
  })

  const get = (url: string) => ctx.t.agent().get(url)

  it('records the first picture as the cover when the body is written; none without a picture', async () => {
    const rows = await ctx.db.knex('articles').whereIn('id', [illustrated, plain, sitePicture]).orderBy('id').select('id', 'cover_url', 'page_count')
    expect(rows.map((r) => [Number(r.id), r.cover_url, Number(r.page_count)])).toEqual([
      [illustrated, UPLOAD, 2], [plain, null, 1], [sitePicture, '/static/img/logo.svg', 1]
    ])
  })

  it('gives an illustrated article Open Graph and Twitter meta with absolute, escaped values', async () => {
    const html = (await get(`/article/${illustrated}`).expect(200)).text
    expect(meta(html, 'property', 'og:type')).toBe('article')
    expect(meta(html, 'property', 'og:title')).toBe('码头 &quot;夜景&quot; &lt;与&gt; &amp; 灯火')
    expect(meta(html, 'property', 'og:description')).toBe('一段 &quot;带引号&quot; 的 &lt;摘要&gt; &amp; 说明')
    expect(meta(html, 'property', 'og:url')).toBe(`https://bbs.example.com/article/${illustrated}`)
    expect(meta(html, 'property', 'og:site_name')).not.toBeNull()
    expect(meta(html, 'property', 'og:image')).toBe(`https://bbs.example.com${UPLOAD}`)
    expect(meta(html, 'property', 'article:published_time')).toBe(new Date(publishedAt * 1000).toISOString())
    expect(meta(html, 'name', 'twitter:card')).toBe('summary_large_image')
    expect(meta(html, 'name', 'twitter:image')).toBe(`https://bbs.example.com${UPLOAD}`)
    expect(meta(html, 'name', 'twitter:title')).toBe('码头 &quot;夜景&quot; &lt;与&gt; &amp; 灯火')
    // Nothing unescaped slipped into the head.
    const head = html.slice(0, html.indexOf('</head>'))
    expect(head).not.toContain('<与>')
    expect(head).not.toContain('"夜景"')
    // og:url is the article (page 1) on every page; the canonical link is the page's own.
    const two = (await get(`/article/${illustrated}?page=2`).expect(200)).text
    expect(meta(two, 'property', 'og:url')).toBe(`https://bbs.example.com/article/${illustrated}`)
    expect(meta(two, 'property', 'og:image')).toBe(`https://bbs.example.com${UPLOAD}`)
  })

  it('gives an article without a picture a summary card and no og:image', async () => {
    const html = (await get(`/article/${plain}`).expect(200)).text
    expect(meta(html, 'name', 'twitter:card')).toBe('summary')
    expect(html).not.toContain('og:image')
    expect(html).not.toContain('twitter:image')
    expect(meta(html, 'property', 'og:url')).toBe(`https://bbs.example.com/article/${plain}`)
  })

  it('shows the thumbnail beside the title on the home page and the category list: the upload\'s -t variant, sized and lazy', async () => {
    for (const url of ['/', `/category/${categoryId}`]) {
      const html = (await get(url).expect(200)).text
      const row = rowOf(html, illustrated)
      expect(row).toContain('class="has-thumb"')
      expect(row).toContain(`<img src="${THUMB}" alt="" width="120" height="80" loading="lazy" decoding="async">`)
      // A picture that is not an upload is shown itself, sized by the same attributes and CSS.
      expect(rowOf(html, sitePicture)).toContain('<img src="/static/img/logo.svg" alt="" width="120" height="80" loading="lazy"')
      const none = rowOf(html, plain)
      expect(none).not.toBe('')
      expect(none).not.toContain('<img')
      expect(none).not.toContain('has-thumb')
    }
  })
})
