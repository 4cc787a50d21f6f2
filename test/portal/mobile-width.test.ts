import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type Page } from 'playwright-core'
import { seedDemo } from '../../src/seeds/demo'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { testConfig } from '../helpers/app'
import { createArticle, createUser } from '../helpers/factories'

/**
 * Phones must not scroll sideways: a real browser (Debian's chromium, as the README's CI notes say)
 * lays out the demo site at phone widths and the page may not be wider than the viewport.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const WIDTHS = [360, 390, 414]

interface Measurement { scrollWidth: number, innerWidth: number, wide: string[] }

/** Layout width vs viewport, and the first elements sticking out (to say what to fix). Run in the page: a string, since tsconfig has no DOM types. */
const MEASURE = `(() => {
  const wide = []
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect()
    if (box.right > window.innerWidth + 0.5 && box.width > 0) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' (' + Math.round(box.right) + ' px)')
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 5) }
})()`

async function measure (page: Page): Promise<Measurement> {
  return await page.evaluate<Measurement>(MEASURE)
}

/**
 * What a thumb taps on a phone, each at least 44 × 44 px (WCAG 2.5.5): the header's 菜单 button and
 * menu, the nav tabs, buttons, pager links, 表态 buttons, the footer's links, breadcrumb links, list
 * titles. Links inside running text are exempt (WCAG's inline exception). Visible ones only.
 */
const TAP_TARGETS = `(() => {
  const selector = '.nav-button, #nv a, .user-links a, .user-links button, button.pn, a.pn, .pg a, .pg strong, .react-button, #ft a, .breadcrumb a, .article-list h3 a, .tl-title a.thread-title, .fl-name h3 a, .comment-ops a, .comment-ops button'
  const small = []
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect()
    if (box.width === 0 || box.height === 0) continue
    if (box.width < 43.5 || box.height < 43.5) small.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 10) + '" ' + Math.round(box.width) + '×' + Math.round(box.height))
  }
  return small.slice(0, 8)
})()`

/** Reading text on a phone is 15 px at least: the bodies, lists, comments, table cells, forms. */
const SMALL_TEXT = `(() => {
  const selector = '.article-body p, .post-body, .comment-text, .article-list .summary, .bm_c p, .dt td, .form-table th, .alert-msg, #ft p'
  const small = []
  for (const el of document.querySelectorAll(selector)) {
    if (el.getBoundingClientRect().height === 0) continue
    const size = parseFloat(getComputedStyle(el).fontSize)
    if (size < 15) small.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + size + 'px')
  }
  return small.slice(0, 8)
})()`

// Seeding the demo (pictures drawn by sharp) takes longer than Jest's 30 s hook default on a loaded machine.
jest.setTimeout(180_000)

describe.each(dialects)('page widths on phones on %s', (dialect) => {
  let browser: Browser
  let base: string
  let adminPassword: string
  let articlePath = ''
  const pages: string[] = ['/', '/forum', '/darkroom', '/archiver/', '/login', '/register']

  const ctx = useTestApp(dialect, { seed: async (db) => {
    const admin = await seedDemo(db.knex, testConfig(db))
    adminPassword = admin?.password ?? ''
    // A body with an unbroken URL and a long code line, the classic sideways scrollers.
    const category = await db.knex('categories').first<{ id: number }>('id')
    const author = await createUser(db.knex, { username: 'longwriter' })
    const longArticle = await createArticle(db.knex, {
      categoryId: category.id,
      authorId: author.id,
      title: '长链接测试',
      body: `见 https://example.com/${'a'.repeat(120)} 。\n\n\`\`\`\n${'const x = 1; '.repeat(20)}\n\`\`\``
    })
    // A twelve-page article: 本文导航 with its page links, gaps, 上一页 and 下一页 must wrap.
    const manyPages = await createArticle(db.knex, {
      categoryId: category.id, authorId: author.id, title: '十二页的文章', body: Array.from({ length: 12 }, (_, i) => `第${i + 1}页。`).join('\n\n<!-- 分页 -->\n\n')
    })
    const article = await db.knex('articles').where({ status: 'published' }).orderBy('id').first<{ id: number }>('id')
    const thread = await db.knex('threads').orderBy('id').first<{ id: number, board_id: number }>('id', 'board_id')
    pages.push(`/article/${article.id}`, `/article/${longArticle}`, `/article/${manyPages}?page=6`, `/article/${article.id}/comments`, `/archiver/aid-${article.id}.html`,
      `/thread/${thread.id}`, `/forum/${thread.board_id}`, `/user/${author.id}`, `/category/${category.id}`, '/page/about', `/archiver/fid-${thread.board_id}.html`)
    articlePath = `/article/${article.id}`
  } })

  beforeAll(async () => {
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  }, 60000)
  afterAll(async () => {
    await browser?.close()
  })

  it.each(WIDTHS)('no page is wider than a %i px viewport (guest and admin pages)', async (width) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } })
    const page = await context.newPage()
    const tooWide: string[] = []
    const tooSmall: string[] = []
    const check = async (path: string): Promise<void> => {
      const res = await page.goto(base + path)
      expect(res?.status()).toBe(200)
      const m = await measure(page)
      expect(m.innerWidth).toBe(width)
      if (m.scrollWidth > m.innerWidth) tooWide.push(`${path}: ${m.scrollWidth} px; ${m.wide.join(', ')}`)
      for (const t of await page.evaluate<string[]>(TAP_TARGETS)) tooSmall.push(`${path}: ${t}`)
      for (const t of await page.evaluate<string[]>(SMALL_TEXT)) tooSmall.push(`${path}: text ${t}`)
    }
    for (const path of pages) await check(path)

    await page.goto(`${base}/login`)
    await page.fill('input[name=login]', 'admin')
    await page.fill('input[name=password]', adminPassword)
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('form[action="/login"] [type=submit]')])
    const member = await ctx.db.knex('users').where({ username_key: 'longwriter' }).first<{ id: number }>('id')
    for (const path of ['/', '/mod', `/mod/ban/${member.id}`, '/settings', '/admin/words', '/mod/comments', '/admin', '/admin/settings', '/portal/write', '/portal/manage']) await check(path)

    await context.close()
    expect(tooWide).toEqual([])
    expect(tooSmall).toEqual([])
  }, 60000)

  it('loads the article on a phone in at most 60 KB before images, shows its text without JavaScript, and opens 菜单 without it', async () => {
    // The weight with JavaScript on (the script counts too), from a fresh browser's network log.
    const weighing = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const weighed = await weighing.newPage()
    const weights: Array<{ url: string, type: string, bytes: Promise<number> }> = []
    weighed.on('requestfinished', (req) => {
      const type = req.resourceType()
      if (type === 'document' || type === 'stylesheet' || type === 'script') weights.push({ url: req.url(), type, bytes: req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize) })
    })
    await weighed.goto(base + articlePath, { waitUntil: 'networkidle' })
    const total = (await Promise.all(weights.map(async (w) => await w.bytes))).reduce((a, b) => a + b, 0)
    // Headers included, bodies as sent (compressed): what a phone downloads before any picture.
    console.log(`article page on a phone before images: ${(total / 1024).toFixed(1)} KB (${weights.map((w) => w.type).join(', ')})`)
    expect(weights.map((w) => w.type).sort()).toEqual(['document', 'script', 'stylesheet'])
    expect(total).toBeLessThanOrEqual(60 * 1024)
    await weighing.close()

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false, isMobile: true, hasTouch: true })
    const page = await context.newPage()
    await page.goto(base + articlePath)
    // The text is there with scripts off, in a readable size.
    const bodySize = await page.evaluate<number>('parseFloat(getComputedStyle(document.querySelector(".article-body p")).fontSize)')
    expect(bodySize).toBeGreaterThanOrEqual(15)
    expect(await page.isVisible('.article-body p')).toBe(true)
    // 菜单: closed, the member links are hidden; a tap opens them (a checkbox and its label, no script).
    expect(await page.isVisible('#toptb a[href="/register"]')).toBe(false)
    await page.click('.nav-button')
    expect(await page.isVisible('#toptb a[href="/register"]')).toBe(true)
    const menu = await page.evaluate<{ w: number, h: number }>('(() => { const b = document.querySelector(".nav-button").getBoundingClientRect(); return { w: b.width, h: b.height } })()')
    expect(menu.w).toBeGreaterThanOrEqual(44)
    expect(menu.h).toBeGreaterThanOrEqual(44)
    // The footer's 手机版 on a desktop: the phone layout (one column, the menu button) at 1280 px.
    await page.setViewportSize({ width: 1280, height: 900 })
    expect(await page.isVisible('.nav-button')).toBe(false)
    await page.goto(`${base}/?mobile=2`)
    expect(new URL(page.url()).search).toBe('')
    expect(await page.isVisible('.nav-button')).toBe(true)
    expect(await page.isVisible('.quick-login')).toBe(false)
    // And 电脑版 back.
    await page.goto(`${base}/?mobile=no`)
    expect(await page.isVisible('.quick-login')).toBe(true)
    await context.close()
  }, 60000)
})
