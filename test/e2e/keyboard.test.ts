import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { launchChromium, watchedContext, type WatchedContext } from '../helpers/browser'

/**
 * The site by keyboard alone, in Debian's chromium: Tab reaches a 表态 button, a pager link, the phone's
 * 菜单 (and the links and search box inside it) and the admin menu; each shows a visible focus ring
 * (a computed outline or box-shadow under :focus-visible); Enter operates it. The 表态 is stored and the
 * aria-live region says so.
 */

/** Tabs until the focused element matches `selector`; false after `max` presses (it is not reachable). */
async function tabTo (page: Page, selector: string, max = 150): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate<boolean>(`document.activeElement !== null && document.activeElement.matches(${JSON.stringify(selector)})`)) return true
  }
  return false
}

/**
 * The focus ring as drawn: `ringOf` (the focused element by default; the 菜单 checkbox is invisible and
 * its label draws the ring) has an outline or a box-shadow while the focused element is :focus-visible.
 */
async function focusRingVisible (page: Page, ringOf?: string): Promise<boolean> {
  return await page.evaluate<boolean>(`(() => {
    const focused = document.activeElement
    if (focused === null || !focused.matches(':focus-visible')) return false
    const el = ${ringOf === undefined ? 'focused' : `document.querySelector(${JSON.stringify(ringOf)})`}
    const style = getComputedStyle(el)
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    return outline || style.boxShadow !== 'none'
  })()`)
}

// The MariaDB database's creation outlasts Jest's 30 s hook default on a loaded machine.
jest.setTimeout(120_000)

describe.each(dialects)('the keyboard in chromium on %s', (dialect) => {
  let browser: Browser
  let base: string
  let articleId = 0
  let member = { id: 0, username: '', password: '' }
  let admin = { id: 0, username: '', password: '' }

  const ctx = useTestApp(dialect, {
    app: { env: LOCAL_CLIENTS_UNLIMITED },
    seed: async (db) => {
      member = await createUser(db.knex, { username: 'keyboard_member' })
      admin = await createUser(db.knex, { username: 'keyboard_admin', role: 'admin' })
      const categoryId = await createCategory(db.knex, { name: '键盘' })
      // Three pages: 本文导航 has pager links.
      articleId = await createArticle(db.knex, { categoryId, authorId: admin.id, title: '只用键盘读的文章', body: '第一页。\n\n<!-- 分页 -->\n\n第二页。\n\n<!-- 分页 -->\n\n第三页。' })
    }
  })

  beforeAll(async () => {
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  const contexts: WatchedContext[] = []
  afterEach(async () => {
    const problems = contexts.flatMap((w) => w.problems)
    for (const w of contexts.splice(0)) await w.context.close()
    expect(problems).toEqual([])
  })

  async function open (width: number, login?: { username: string, password: string }): Promise<Page> {
    const w = await watchedContext(browser, { viewport: { width, height: 900 } })
    contexts.push(w)
    const page = await w.context.newPage()
    if (login !== undefined) {
      await page.goto(`${base}/login`)
      await page.fill('#login', login.username)
      await page.fill('#password', login.password)
      await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('main form[action="/login"] [type=submit]')])
    }
    return page
  }

  it('reaches a 表态 button by Tab, reacts with Enter, stores it and announces it; then follows a pager link', async () => {
    const page = await open(1280, member)
    await page.goto(`${base}/article/${articleId}`)
    expect(await tabTo(page, '.react-button')).toBe(true)
    expect(await focusRingVisible(page)).toBe(true)
    const kind = await page.evaluate<string>('document.activeElement.closest("form").elements.kind.value')
    const name = ((await page.evaluate<string>('document.activeElement.textContent')) ?? '').trim().replace(/\s*\d+$/, '')
    await page.keyboard.press('Enter')
    // In place (no navigation): the widget says it is the member's, and the live region reads it out.
    await page.waitForSelector('.react-mine')
    await page.locator('#live-status').filter({ hasText: /\S/ }).waitFor({ state: 'attached', timeout: 5000 })
    const announced = await page.textContent('#live-status')
    expect(announced).toContain('已表态')
    expect(announced).toContain(name)
    expect(await page.getAttribute('#live-status', 'aria-live')).toBe('polite')
    const stored = await ctx.db.knex('reactions').where({ article_id: articleId, user_id: member.id }).select('kind')
    expect(stored).toEqual([{ kind }])

    // 本文导航: Tab to a page link, Enter follows it.
    expect(await tabTo(page, '.pg a')).toBe(true)
    expect(await focusRingVisible(page)).toBe(true)
    const href = await page.evaluate<string>('document.activeElement.getAttribute("href")')
    await Promise.all([page.waitForURL((url) => url.search === new URL(href, base).search), page.keyboard.press('Enter')])
    expect(await page.textContent('.article-body')).toMatch(/第[二三]页/)
  })

  it('opens 菜单 at 390 px with Enter, reaches the links inside it and searches from its search box', async () => {
    const page = await open(390)
    await page.goto(`${base}/`)
    expect(await page.isVisible('#toptb a[href="/register"]')).toBe(false)
    expect(await tabTo(page, '#nav-toggle')).toBe(true)
    // The checkbox is invisible; its label (the 菜单 button) draws the ring.
    expect(await focusRingVisible(page, '.nav-button')).toBe(true)
    await page.keyboard.press('Enter')
    expect(await page.isChecked('#nav-toggle')).toBe(true)
    expect(await page.isVisible('#toptb a[href="/register"]')).toBe(true)
    // The next Tab is inside the menu: its links come first.
    await page.keyboard.press('Tab')
    expect(await page.evaluate<boolean>('document.activeElement.closest("#toptb") !== null && document.activeElement.matches("a")')).toBe(true)
    expect(await focusRingVisible(page)).toBe(true)
    expect(await tabTo(page, '#toptb a[href="/register"]', 5)).toBe(true)

    // The search box under the nav is reachable too, and sends to /search.
    expect(await tabTo(page, '#search-q', 30)).toBe(true)
    expect(await page.isVisible('#search-q')).toBe(true)
    expect(await focusRingVisible(page)).toBe(true)
    await page.keyboard.type('键盘')
    await Promise.all([page.waitForURL(/\/search\?/), page.keyboard.press('Enter')])
    const url = new URL(page.url())
    expect(url.pathname).toBe('/search')
    expect(url.searchParams.get('q')).toBe('键盘')
    // The results page, the query kept in the box (the factory's article is not in the search index).
    expect(await page.inputValue('#search-q')).toBe('键盘')
  })

  it('goes through the admin menu by keyboard', async () => {
    const page = await open(1280, admin)
    await page.goto(`${base}/admin`)
    expect(await tabTo(page, '.admin-menu a[href="/admin/settings"]')).toBe(true)
    expect(await focusRingVisible(page)).toBe(true)
    await Promise.all([page.waitForURL(`${base}/admin/settings`), page.keyboard.press('Enter')])
    expect(await page.getAttribute('.admin-menu a[href="/admin/settings"]', 'aria-current')).toBe('page')
  })
})
