import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { PAGE_SEPARATOR, articleRenderColumns, coverThumbnailUrl, firstImageUrl, renderArticle, storedPages } from '../../src/lib/article-render'
import { MARKDOWN_LIMITS, RENDERER_VERSION, markdownMessages } from '../../src/lib/markdown'
import { escapeXml, rfc822, rssDocument } from '../../src/lib/rss'

const HASH = '0123' + 'f'.repeat(60)

function pagesOf (source: string): string[] {
  const r = renderArticle(source)
  if ('refusal' in r) throw new Error(r.refusal)
  return r.pages.map((p) => p.html)
}

describe('article pages (<!-- 分页 -->)', () => {
  it('splits at a break line, with or without blank lines around it, and trims empty pages', () => {
    expect(pagesOf('一\n\n<!-- 分页 -->\n\n二')).toEqual(['<p>一</p>\n', '<p>二</p>\n'])
    // A comment interrupts a paragraph (CommonMark HTML block type 2), so a break right under text splits too.
    expect(pagesOf('一\n<!-- 分页 -->\n二')).toEqual(['<p>一</p>\n', '<p>二</p>\n'])
    expect(pagesOf('<!--分页-->\n一\n   <!--  分页  -->\n<!-- 分页 -->\n二\n<!-- 分页 -->')).toEqual(['<p>一</p>\n', '<p>二</p>\n'])
    expect(pagesOf('只有一页')).toHaveLength(1)
    expect(pagesOf('')).toEqual([''])
  })

  it('leaves a break inside code, a quote or a list as it is, and does not split on other comments', () => {
    expect(pagesOf('```\n<!-- 分页 -->\n```')).toHaveLength(1)
    expect(pagesOf('> 引用\n> <!-- 分页 -->\n> 还是引用')).toHaveLength(1)
    expect(pagesOf('- 一\n\n  <!-- 分页 -->\n- 二')).toHaveLength(1)
    expect(pagesOf('一\n\n<!-- 分页 --> 后面还有字\n\n二')).toHaveLength(1)
    expect(pagesOf('一\n\n<!-- 注释 -->\n\n二')).toHaveLength(1)
  })

  it('cannot be forged: the separator in a body is dropped by the sanitizer', () => {
    const cols = articleRenderColumns(`一${PAGE_SEPARATOR}二\n\n<!--luntan:page-->\n\n三`)
    expect(cols.page_count).toBe(1)
    expect(storedPages(cols.body_html)).toHaveLength(1)
    expect(cols.body_html).not.toContain('luntan:page')
  })

  it('stores pages in both forms with the count, the cover and the current version', () => {
    const cols = articleRenderColumns(`一 ![图一](/uploads/01/23/${HASH}-m.png "标题")\n\n<!-- 分页 -->\n\n二 ![图二](/static/b.png)`)
    expect(cols).toMatchObject({ page_count: 2, render_version: RENDERER_VERSION, cover_url: `/uploads/01/23/${HASH}-m.png` })
    expect(storedPages(cols.body_html)).toHaveLength(2)
    expect(storedPages(cols.body_text_html)).toEqual(['<p>一 [图: 标题]</p>\n', '<p>二 [图: 图二]</p>\n'])
    expect(articleRenderColumns('没有图').cover_url).toBeNull()
    // The cover is the first picture of any page.
    expect(articleRenderColumns('一\n\n<!-- 分页 -->\n\n<img src="/static/a&amp;b.png">').cover_url).toBe('/static/a&b.png')
  })

  it('bounds the whole body, not each page, and refuses remote pictures on any page', () => {
    const half = 'a'.repeat(Math.ceil(MARKDOWN_LIMITS.maxLength / 2) + 10)
    expect(renderArticle(`${half}\n\n<!-- 分页 -->\n\n${half}`)).toEqual({ refusal: markdownMessages.tooLong })
    expect(renderArticle('一\n\n<!-- 分页 -->\n\n![x](https://elsewhere.example/x.png)')).toEqual({ refusal: markdownMessages.remoteImage })
  })

  it('finds the first picture in sanitized HTML only as a path on this site', () => {
    expect(firstImageUrl('<p>x</p><img src="/uploads/a.png" alt="a">')).toBe('/uploads/a.png')
    expect(firstImageUrl('<img alt="&quot;" src="/a.png">')).toBe('/a.png')
    expect(firstImageUrl('<img src="//evil.example/a.png">')).toBeNull()
    expect(firstImageUrl('<img src="https://evil.example/a.png">')).toBeNull()
    expect(firstImageUrl('<p>没有图</p>')).toBeNull()
  })

  it('gives an upload\'s thumbnail variant for lists, any other picture as it is', () => {
    expect(coverThumbnailUrl(`/uploads/01/23/${HASH}.jpg`)).toBe(`/uploads/01/23/${HASH}-t.jpg`)
    expect(coverThumbnailUrl(`/uploads/01/23/${HASH}-m.webp`)).toBe(`/uploads/01/23/${HASH}-t.webp`)
    expect(coverThumbnailUrl('/static/img/logo.svg')).toBe('/static/img/logo.svg')
    expect(coverThumbnailUrl('/uploads/not-a-key.png')).toBe('/uploads/not-a-key.png')
    expect(coverThumbnailUrl(null)).toBeNull()
    expect(coverThumbnailUrl('')).toBeNull()
  })
})

describe('RSS documents', () => {
  it('escapes every text and drops characters XML cannot hold', () => {
    expect(escapeXml('a<b>&"c\'')).toBe('a&lt;b&gt;&amp;&quot;c&apos;')
    expect(escapeXml('x\u0001y\u000Bz\uD800')).toBe('xyz')
    expect(escapeXml('😀 中文')).toBe('😀 中文')
  })

  it('writes RFC 822 dates', () => {
    expect(rfc822(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
  })

  it('builds a valid document whose parsed values are the texts given', () => {
    const xml = rssDocument({
      title: '站<点>', link: 'https://x.example/', self: 'https://x.example/rss.xml', description: 'd&d', lastBuild: 1_800_000_000,
      items: [{ title: ']]> <![CDATA[', link: 'https://x.example/article/1?a=1&b=2', description: '\u0002摘要', published: 1_800_000_000, category: 'c', creator: '作者' }]
    })
    expect(XMLValidator.validate(xml)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml)
    expect(doc.rss.channel.title).toBe('站<点>')
    expect(doc.rss.channel.item.title).toBe(']]> <![CDATA[')
    expect(doc.rss.channel.item.link).toBe('https://x.example/article/1?a=1&b=2')
    expect(doc.rss.channel.item.description).toBe('摘要')
    expect(doc.rss.channel.item['dc:creator']).toBe('作者')
    expect(doc.rss.channel['atom:link']['@_rel']).toBe('self')
  })

  it('leaves lastBuildDate out of an empty feed', () => {
    const xml = rssDocument({ title: 't', link: 'https://x.example/', self: 'https://x.example/rss.xml', description: 'd', lastBuild: null, items: [] })
    expect(XMLValidator.validate(xml)).toBe(true)
    expect(xml).not.toContain('lastBuildDate')
  })
})
