import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { RENDERER_VERSION } from '../../src/lib/markdown'

/** Multi-page articles: `<!-- 分页 -->` splits the body; `?page=N`, 本文导航, Discuz's page URLs, the Archiver. */

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

const THREE_PAGES = [
  '第一页的开头。',
  '',
  '```',
  '<!-- 分页 -->',
  '```',
  '',
  '<!-- 分页 -->',
  '第二页写的是**骑楼**。',
  '<!-- 分页 -->',
  '',
  '第三页，结尾。'
].join('\n')

/** The text of the article body on a page (between the body's div and the page list or the source line). */
function bodyOf (html: string): string {
  return /<div class="article-body">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? ''
}

function navOf (html: string): string {
  return /<div class="article-pages"[\s\S]*?<\/div>\s*<\/div>/.exec(html)?.[0] ?? ''
}

describe.each(dialects)('multi-page articles on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let authorId: number
  let categoryId: number
  let multi: number
  let single: number

  beforeAll(async () => {
    authorId = (await createUser(ctx.db.knex)).id
    categoryId = await createCategory(ctx.db.knex, { name: '专题' })
    multi = await createArticle(ctx.db.knex, { categoryId, authorId, title: '三页的专题', body: THREE_PAGES })
    single = await createArticle(ctx.db.knex, { categoryId, authorId, title: '一页的文章', body: '只有一页。' })
  })

  const browser = (ua = BROWSER) => ctx.t.agent().set('User-Agent', ua)

  it('stores the pages and their count when the body is written (a break in a code block is text)', async () => {
    const row = await ctx.db.knex('articles').where({ id: multi }).first('page_count', 'render_version', 'body_html')
    expect(Number(row.page_count)).toBe(3)
    expect(row.render_version).toBe(RENDERER_VERSION)
    expect(row.body_html).toContain('&lt;!-- 分页 --&gt;') // the fenced one, shown as code on page 1
  })

  it('shows page 1 with 本文导航: page links and 下一页, the canonical link on the article', async () => {
    const res = await browser().get(`/article/${multi}`).expect(200)
    expect(bodyOf(res.text)).toContain('第一页的开头。')
    expect(bodyOf(res.text)).not.toContain('第二页')
    expect(res.text).toContain(`<link rel="canonical" href="/article/${multi}">`)
    expect(res.text).toContain('<title>三页的专题 - 专题 - ')
    const nav = navOf(res.text)
    expect(nav).toContain('本文导航')
    expect(nav).toContain('<strong aria-current="page">1</strong>')
    expect(nav).toContain(`<a href="/article/${multi}?page=2">2</a>`)
    expect(nav).toContain(`<a href="/article/${multi}?page=3">3</a>`)
    expect(nav).toContain(`href="/article/${multi}?page=2" class="nxt" rel="next">下一页</a>`)
    expect(nav).not.toContain('上一页')
  })

  it('shows page 2 with 上一页 and 下一页, and the last page without 下一页', async () => {
    const two = await browser().get(`/article/${multi}?page=2`).expect(200)
    expect(bodyOf(two.text)).toContain('第二页写的是<strong>骑楼</strong>。')
    expect(bodyOf(two.text)).not.toContain('第一页')
    expect(two.text).toContain('<title>三页的专题 - 第2页 - 专题 - ')
    expect(two.text).toContain(`<link rel="canonical" href="/article/${multi}?page=2">`)
    const nav2 = navOf(two.text)
    expect(nav2).toContain(`href="/article/${multi}?page=1" class="prev" rel="prev">上一页</a>`)
    expect(nav2).toContain(`href="/article/${multi}?page=3" class="nxt" rel="next">下一页</a>`)
    expect(nav2).toContain('<strong aria-current="page">2</strong>')
    const three = await browser().get(`/article/${multi}?page=3`).expect(200)
    expect(bodyOf(three.text)).toContain('第三页，结尾。')
    expect(navOf(three.text)).not.toContain('下一页')
    // The article's info, 摘要 and comments stay on every page.
    expect(three.text).toContain('这是一段测试摘要。')
    expect(three.text).toContain('id="comments"')
  })

  it('clamps a page past the end to the last page, like a thread; a bad page is page 1', async () => {
    const past = await browser().get(`/article/${multi}?page=99`).expect(200)
    expect(bodyOf(past.text)).toContain('第三页，结尾。')
    expect(navOf(past.text)).toContain('<strong aria-current="page">3</strong>')
    const bad = await browser().get(`/article/${multi}?page=abc`).expect(200)
    expect(bodyOf(bad.text)).toContain('第一页的开头。')
    await browser().get(`/article/${multi}?page=0`).expect(200)
  })

  it('shows no 本文导航 on a one-page article', async () => {
    const res = await browser().get(`/article/${single}`).expect(200)
    expect(res.text).not.toContain('本文导航')
    expect(bodyOf(res.text)).toContain('只有一页。')
  })

  it('maps Discuz\'s page URLs to the page: article-N-P.html and portal.php?mod=view&aid=N&page=P', async () => {
    await browser().get(`/article-${multi}-2.html`).expect(301).expect('Location', `/article/${multi}?page=2`)
    await browser().get(`/article-${multi}-1.html`).expect(301).expect('Location', `/article/${multi}`)
    await browser().get(`/portal.php?mod=view&aid=${multi}&page=3`).expect(301).expect('Location', `/article/${multi}?page=3`)
    await browser().get(`/portal.php?mod=view&aid=${multi}&page=1`).expect(301).expect('Location', `/article/${multi}`)
    const landed = await browser().get(`/article/${multi}?page=3`).expect(200)
    expect(bodyOf(landed.text)).toContain('第三页')
  })

  it('counts one view per request whichever page is read', async () => {
    await ctx.t.app.viewCounts.flush()
    const before = Number((await ctx.db.knex('articles').where({ id: multi }).first('views')).views)
    await browser('Mozilla/5.0 (Reader 1) Firefox/1').get(`/article/${multi}`).expect(200)
    await browser('Mozilla/5.0 (Reader 2) Firefox/1').get(`/article/${multi}?page=2`).expect(200)
    await browser('Mozilla/5.0 (Reader 3) Firefox/1').get(`/article/${multi}?page=3`).expect(200)
    await ctx.t.app.viewCounts.flush()
    const after = Number((await ctx.db.knex('articles').where({ id: multi }).first('views')).views)
    expect(after - before).toBe(3)
  })

  it('shows every page on the Archiver\'s one text page, each headed 第 N 页', async () => {
    const res = await browser('Googlebot/2.1 (+http://www.google.com/bot.html)').get(`/archiver/aid-${multi}.html`).expect(200)
    const text = res.text
    for (const [i, marker] of ['第一页的开头。', '第二页写的是', '第三页，结尾。'].entries()) {
      expect(text).toContain(`第 ${i + 1} 页 / 共 3 页`)
      expect(text).toContain(marker)
    }
    expect(text.indexOf('第一页的开头。')).toBeLessThan(text.indexOf('第二页写的是'))
    expect(text.indexOf('第二页写的是')).toBeLessThan(text.indexOf('第三页，结尾。'))
    const one = await browser('Googlebot/2.1').get(`/archiver/aid-${single}.html`).expect(200)
    expect(one.text).not.toContain('共 1 页')
  })

  it('renders a row stored by the older renderer again: its pages, count and cover are written back', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId, title: '旧文章', body: '旧的第一页 ![码头](/static/img/logo.svg)\n\n<!-- 分页 -->\n\n旧的第二页' })
    await ctx.db.knex('articles').where({ id }).update({ body_html: '<p>旧的渲染</p>', body_text_html: '<p>旧的渲染</p>', render_version: RENDERER_VERSION - 1, page_count: 1, cover_url: null })
    const two = await browser().get(`/article/${id}?page=2`).expect(200)
    expect(bodyOf(two.text)).toContain('旧的第二页')
    const row = await ctx.db.knex('articles').where({ id }).first('page_count', 'cover_url', 'render_version')
    expect(row).toMatchObject({ render_version: RENDERER_VERSION, cover_url: '/static/img/logo.svg' })
    expect(Number(row.page_count)).toBe(2)
  })

  it('keeps a guest\'s cached copy of each page apart (the cache key holds the page)', async () => {
    const cached = await ctx.secondApp({ guestCacheMs: 60_000 })
    try {
      const guest = () => cached.agent().set('User-Agent', BROWSER)
      const one = await guest().get(`/article/${multi}`).expect(200)
      const two = await guest().get(`/article/${multi}?page=2`).expect(200)
      const twoAgain = await guest().get(`/article/${multi}?page=2&utm_source=x`).expect(200)
      const oneAgain = await guest().get(`/article/${multi}`).expect(200)
      expect(bodyOf(one.text)).toContain('第一页的开头。')
      expect(bodyOf(two.text)).toContain('第二页写的是')
      expect(bodyOf(twoAgain.text)).toContain('第二页写的是')
      expect(bodyOf(oneAgain.text)).toContain('第一页的开头。')
      expect(cached.app.guestPages.answered.beforeFastify + cached.app.guestPages.answered.inFastify).toBeGreaterThanOrEqual(2)
    } finally {
      await cached.close()
    }
  })
})
