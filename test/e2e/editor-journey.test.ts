import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { seedDemo } from '../../src/seeds/demo'
import { formatSiteDateTime } from '../../src/lib/article-form'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, testConfig } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { checkPage } from '../helpers/browser'

/**
 * Issue 17's "done when", tried in a real browser (Debian's chromium through playwright-core): an editor
 * of 旅游 uploads a picture without JavaScript, writes a two-page illustrated article scheduled two hours
 * ahead, the test clock moves past it and it appears on the home page, in its category, in the Archiver
 * and in /rss.xml; the editor edits it, restores the first version and hides it; a guest then gets a 404.
 * Once with JavaScript on (the picture also dropped on the body, the live preview) and once with it off
 * (the upload page's Markdown line only). Every page visited: no console error, no failed request, no
 * unexpected error status; the journey's pages: every image sized, lang zh-CN, and (JavaScript on)
 * axe-core finds no serious or critical violation.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Screenshots to look at (the README says where): the write page and the article page at 1280 and 390 px.
const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(os.tmpdir(), 'luntan-e2e')

const TITLE_BASE = '海湾夜游：坐最后一班渡轮看灯'
const EDITED_TITLE_BASE = '海湾夜游：坐末班渡轮看两岸灯火'
const PAGE_ONE = '傍晚六点从渔港码头出发，先沿着步道走到轮渡站。'
const PAGE_TWO = '回程的渡轮上风有点大，记得带一件薄外套。'

/** The page's width against the viewport (a string: tsconfig has no DOM types). */
const SIDEWAYS = '(() => document.documentElement.scrollWidth - window.innerWidth)()'

interface Watch { problems: string[], expect404: Set<string> }

/** Records console errors, page errors, failed requests and error statuses of a browser context's pages. */
function watch (context: BrowserContext): Watch {
  const w: Watch = { problems: [], expect404: new Set() }
  context.on('page', (page) => observe(page, w))
  return w
}

function observe (page: Page, w: Watch): void {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    // The browser logs every 404 document too: the ones the journey expects are not problems.
    const source = msg.location().url
    if (source !== '' && w.expect404.has(new URL(source).pathname) && msg.text().includes('404')) return
    w.problems.push(`console error on ${page.url()}: ${msg.text()}`)
  })
  page.on('pageerror', (err) => { w.problems.push(`page error on ${page.url()}: ${err.message}`) })
  page.on('requestfailed', (req) => {
    // ERR_ABORTED is the browser cancelling a request because the page moved on (lazy list thumbnails
    // still loading when the next page is opened), not the server failing it; an error status is caught below.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return
    w.problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? ''})`)
  })
  page.on('response', (res) => {
    const url = new URL(res.url())
    if (res.status() >= 400 && !(res.status() === 404 && w.expect404.has(url.pathname))) w.problems.push(`${res.status()} for ${url.pathname}`)
  })
}

describe.each(dialects)('an editor\'s journey in chromium on %s', (dialect) => {
  let browser: Browser
  let base: string
  let travelId: number

  const ctx = useTestApp(dialect, {
    app: { env: LOCAL_CLIENTS_UNLIMITED },
    seed: async (db) => {
      await seedDemo(db.knex, testConfig(db))
      await createUser(db.knex, { username: 'travel_editor', password: 'journey-pass-1', role: 'editor' })
    }
  })

  beforeAll(async () => {
    const travel = await ctx.db.knex('categories').where({ name: '旅游' }).first<{ id: number }>('id')
    travelId = travel.id
    const editor = await ctx.db.knex('users').where({ username_key: 'travel_editor' }).first<{ id: number }>('id')
    // 频道权限 through the publishing service, as `editor:grant` does.
    await ctx.t.app.publishing.grant(editor.id, travelId, ctx.t.clock.now())
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    fs.mkdirSync(SHOTS, { recursive: true })
  }, 60000)
  afterAll(async () => {
    await browser?.close()
  })

  it.each([['on', true], ['off', false]] as const)('JavaScript %s: writes, schedules, sees it appear, edits, restores and hides a two-page illustrated article', async (label, js) => {
    // Each run its own titles: the other run's article is in the same database.
    const TITLE = `${TITLE_BASE}（JS ${label}）`
    const EDITED_TITLE = `${EDITED_TITLE_BASE}（JS ${label}）`
    const problems: string[] = []
    const check = async (p: Page): Promise<void> => { await checkPage(p, problems, { axe: js }) }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: js })
    const w = watch(context)
    const page = await context.newPage()
    const shot = async (name: string): Promise<void> => {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        expect(await page.evaluate<number>(SIDEWAYS)).toBeLessThanOrEqual(0)
        await page.screenshot({ path: path.join(SHOTS, `${dialect}-${name}-js-${label}-${width}.png`), fullPage: true })
      }
      await page.setViewportSize({ width: 1280, height: 900 })
    }

    // Log in.
    await page.goto(`${base}/login`)
    await page.fill('input[name=login]', 'travel_editor')
    await page.fill('input[name=password]', 'journey-pass-1')
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('form[action="/login"] [type=submit]')])

    // A picture through the no-JavaScript upload page: the page hands back the Markdown line to paste.
    const picture = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="500"><rect width="900" height="500" fill="#1d2340"/><rect y="330" width="900" height="170" fill="#2e78a8"/><circle cx="700" cy="120" r="50" fill="#ffe7b0"/><path d="M200 380 L520 380 L480 430 L230 430 Z" fill="#f4f4f4"/></svg>')).png().toBuffer()
    await page.goto(`${base}/uploads/new`)
    await check(page)
    await page.fill('#upload-alt', '夜色中的渡轮')
    await page.setInputFiles('#upload-file', { name: 'ferry-night.png', mimeType: 'image/png', buffer: picture })
    await Promise.all([page.waitForURL(/\/uploads\/new\?done=/), page.click('form[action^="/uploads"] [type=submit]')])
    const markdown = await page.inputValue('.upload-markdown')
    expect(markdown).toMatch(/^!\[夜色中的渡轮\]\(\/uploads\/[0-9a-f/]+(-m)?\.png/)
    expect(await page.evaluate<number>('document.querySelector(".upload-preview img").naturalWidth')).toBeGreaterThan(0)
    await check(page)

    // The article: two pages, the picture on the first, scheduled two hours ahead.
    const publishAt = ctx.t.clock.now() + 2 * 3600
    await page.goto(`${base}/portal/write`)
    await check(page)
    // With JavaScript a picture dropped on the body is uploaded (POST /uploads with the page's token) and its line inserted.
    if (js) {
      await page.evaluate(`(() => {
        const bytes = Uint8Array.from(atob('${picture.toString('base64')}'), (c) => c.charCodeAt(0))
        const transfer = new DataTransfer()
        transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }))
        document.getElementById('a-body').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
      })()`)
      // Polled from here: waitForFunction's string form is compiled in the page, which our CSP forbids.
      let body = ''
      for (let i = 0; i < 100 && !/!\[[^\]]*\]\(\/uploads\//.test(body); i++) {
        await page.waitForTimeout(100)
        body = await page.inputValue('#a-body')
      }
      expect(body).toMatch(/!\[[^\]]*\]\(\/uploads\/[0-9a-f/]+(-m)?\.png\)/)
      await expect(page.textContent('[data-upload-status]')).resolves.toContain('已上传 dropped.png')
    }
    await page.fill('#a-title', TITLE)
    await page.selectOption('#a-cat', String(travelId))
    await page.fill('#a-source', '濠江社区编辑部')
    await page.fill('#a-body', `${PAGE_ONE}\n\n${markdown}\n\n到了对岸，先去码头边的大排档坐一坐。\n\n<!-- 分页 -->\n\n${PAGE_TWO}`)
    await page.selectOption('#a-status', 'published')
    await page.fill('#a-publish-at', formatSiteDateTime(publishAt, ctx.t.config.siteTimezone))
    if (js) {
      // The live preview beside the body (the server's renderer): the picture with its caption.
      await page.waitForSelector('[data-live-preview] .article-caption')
      await page.waitForFunction('document.querySelector("[data-live-preview] img").naturalWidth > 0')
    }
    await shot('write')
    await Promise.all([page.waitForURL(/\/portal\/write\/\d+\?saved=1/), page.click('form.article-form button.pnc')])
    await expect(page.textContent('body')).resolves.toContain('将于发布时间自动发布')
    await check(page)
    const aid = Number(/\/portal\/write\/(\d+)/.exec(page.url())?.[1])
    expect(aid).toBeGreaterThan(0)

    // Scheduled: nobody sees it yet.
    const guestContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: js })
    const g = watch(guestContext)
    g.expect404.add(`/article/${aid}`)
    const guest = await guestContext.newPage()
    await guest.goto(`${base}/`)
    expect(await guest.textContent('body')).not.toContain(TITLE)
    expect((await guest.goto(`${base}/article/${aid}`))?.status()).toBe(404)
    // The feed through the context's request API: a browser tab would keep its copy for the feed's
    // max-age (a minute of real time, which the test clock does not move).
    expect(await (await guestContext.request.get(`${base}/rss.xml`)).text()).not.toContain(TITLE)

    // Its time comes (the app's test clock): it appears by itself everywhere.
    ctx.t.clock.advance(2 * 3600 + 60)
    await guest.goto(`${base}/`)
    expect(await guest.textContent('body')).toContain(TITLE)
    await check(guest)
    // The home list shows its picture's thumbnail (waited for: a lazy picture loads after the page's load event).
    const thumbWidth = `[...document.querySelectorAll('.article-thumb img')].filter((i) => i.closest('li').textContent.includes(${JSON.stringify(TITLE)})).map((i) => i.naturalWidth)[0] || 0`
    await guest.waitForFunction(`(${thumbWidth}) > 0`, null, { timeout: 10_000 }).catch(() => {})
    expect(await guest.evaluate<number>(thumbWidth)).toBeGreaterThan(0)
    await guest.goto(`${base}/category/${travelId}`)
    expect(await guest.textContent('body')).toContain(TITLE)
    await guest.goto(`${base}/archiver/cid-${travelId}.html`)
    expect(await guest.textContent('body')).toContain(TITLE)
    await guest.goto(`${base}/archiver/aid-${aid}.html`)
    expect(await guest.textContent('body')).toContain(PAGE_ONE)
    const rss = await (await guestContext.request.get(`${base}/rss.xml`)).text()
    expect(rss).toContain(`<title>${TITLE}</title>`)
    expect(rss).toContain(`/article/${aid}`)

    // The article page: the picture loads, with its ▲ caption; 本文导航 leads to page 2.
    await guest.goto(`${base}/article/${aid}`)
    expect(await guest.textContent('.article-caption')).toBe('▲ 夜色中的渡轮')
    expect(await guest.evaluate<number>('document.querySelector(".article-figure img").naturalWidth')).toBeGreaterThan(0)
    expect(await guest.textContent('body')).toContain('本文导航')
    await check(guest)
    await page.goto(`${base}/article/${aid}`)
    await shot('article')
    await guest.goto(`${base}/article/${aid}?page=2`)
    expect(await guest.textContent('body')).toContain(PAGE_TWO)
    // Page 1's picture stays on page 1 (its text is also the generated 摘要, shown on every page).
    expect(await guest.locator('.article-figure').count()).toBe(0)

    // The editor edits the title, then restores the first version from the revisions.
    await page.goto(`${base}/portal/write/${aid}`)
    await page.fill('#a-title', EDITED_TITLE)
    await Promise.all([page.waitForURL(/\?saved=1/), page.click('form.article-form button.pnc')])
    await guest.goto(`${base}/article/${aid}`)
    expect(await guest.textContent('h1')).toContain(EDITED_TITLE)
    await page.goto(`${base}/portal/write/${aid}/revisions`)
    expect(await page.textContent('body')).toContain(TITLE)
    await check(page)
    await Promise.all([page.waitForURL(/\/revisions\/1$/), page.click(`a[href="/portal/write/${aid}/revisions/1"]`)])
    expect(await page.textContent('body')).toContain(EDITED_TITLE)
    await check(page)
    await Promise.all([page.waitForURL(/\?restored=1/), page.click('form[action$="/restore"] button')])
    expect(await page.textContent('body')).toContain('已恢复到版本 1')
    expect(await page.inputValue('#a-title')).toBe(TITLE)
    await guest.goto(`${base}/article/${aid}`)
    expect(await guest.textContent('h1')).toContain(TITLE)

    // 文章管理: hide it (the soft delete).
    await page.goto(`${base}/portal/manage`)
    await check(page)
    await page.check(`input[name=ids][value="${aid}"]`)
    await page.selectOption('select[name=op]', 'hide')
    await Promise.all([page.waitForURL(/\/portal\/manage/), page.click('form[action="/portal/manage"][method="post"] button.pnc')])
    const row = await ctx.db.knex('articles').where({ id: aid }).first<{ status: string }>('status')
    expect(row.status).toBe('hidden')

    // A guest now gets a 404, and the home page no longer lists it.
    expect((await guest.goto(`${base}/article/${aid}`))?.status()).toBe(404)
    await guest.goto(`${base}/`)
    expect(await guest.textContent('body')).not.toContain(TITLE)

    await guestContext.close()
    await context.close()
    expect(w.problems).toEqual([])
    expect(g.problems).toEqual([])
    expect(problems).toEqual([])
  }, 120000)
})
