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

describe.each(dialects)('page widths on phones on %s', (dialect) => {
  let browser: Browser
  let base: string
  let adminPassword: string
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
      `/thread/${thread.id}`, `/forum/${thread.board_id}`, `/user/${author.id}`)
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
    const check = async (path: string): Promise<void> => {
      const res = await page.goto(base + path)
      expect(res?.status()).toBe(200)
      const m = await measure(page)
      expect(m.innerWidth).toBe(width)
      if (m.scrollWidth > m.innerWidth) tooWide.push(`${path}: ${m.scrollWidth} px; ${m.wide.join(', ')}`)
    }
    for (const path of pages) await check(path)

    await page.goto(`${base}/login`)
    await page.fill('input[name=login]', 'admin')
    await page.fill('input[name=password]', adminPassword)
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('form[action="/login"] [type=submit]')])
    const member = await ctx.db.knex('users').where({ username_key: 'longwriter' }).first<{ id: number }>('id')
    for (const path of ['/', '/mod', `/mod/ban/${member.id}`, '/settings', '/admin/words', '/mod/comments']) await check(path)

    await context.close()
    expect(tooWide).toEqual([])
  }, 60000)
})
