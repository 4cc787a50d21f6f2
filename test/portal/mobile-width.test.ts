import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { seedDemo } from '../../src/seeds/demo'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { testConfig } from '../helpers/app'
import { createArticle, createUser } from '../helpers/factories'
import { launchChromium, phoneProblems } from '../helpers/browser'

/**
 * Phones must not scroll sideways: a real browser (Debian's chromium, as the README's CI notes say)
 * lays out the demo site at phone widths. Every page template is measured by test/e2e/every-page.test.ts;
 * here are the bodies that stretch a template (an unbroken URL, a long code line, a twelve-page
 * article's 本文导航), the article's weight on a phone, and 菜单 without JavaScript.
 */
const WIDTHS = [360, 390, 414]

// Seeding the demo (pictures drawn by sharp) takes longer than Jest's 30 s hook default on a loaded machine.
jest.setTimeout(180_000)

describe.each(dialects)('page widths on phones on %s', (dialect) => {
  let browser: Browser
  let base: string
  let articlePath = ''
  const pages: string[] = []

  const ctx = useTestApp(dialect, { seed: async (db) => {
    await seedDemo(db.knex, testConfig(db))
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
    pages.push(`/article/${longArticle}`, `/article/${manyPages}?page=6`)
    articlePath = `/article/${article.id}`
  } })

  beforeAll(async () => {
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 60000)
  afterAll(async () => {
    await browser?.close()
  })

  it.each(WIDTHS)('no long body makes the article wider than a %i px viewport', async (width) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } })
    const page = await context.newPage()
    const problems: string[] = []
    for (const path of pages) {
      const res = await page.goto(base + path)
      expect(res?.status()).toBe(200)
      problems.push(...await phoneProblems(page, path))
    }
    await context.close()
    expect(problems).toEqual([])
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
