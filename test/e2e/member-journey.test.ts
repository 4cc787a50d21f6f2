import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'

/**
 * Issue 20's member half in a real browser (Debian's chromium through playwright-core): a member
 * uploads an avatar without JavaScript and sees it on their floor, another quotes them, and the first
 * sees `提醒 • 1` in the top bar and the notice on /notifications. No console error, no failed request.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// A browser journey on both databases: its hooks (app, chromium) need more than Jest's 30 s on a busy machine.
jest.setTimeout(180_000)
const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(os.tmpdir(), 'luntan-e2e')
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

function watch (context: BrowserContext, problems: string[]): void {
  context.on('page', (page: Page) => {
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error on ${page.url()}: ${msg.text()}`) })
    page.on('pageerror', (err) => { problems.push(`page error on ${page.url()}: ${err.message}`) })
    page.on('requestfailed', (req) => {
      if (req.failure()?.errorText === 'net::ERR_ABORTED') return
      problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? ''})`)
    })
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`${res.status()} for ${new URL(res.url()).pathname}`) })
  })
}

describe.each(dialects)('a member\'s avatar and 提醒 in chromium on %s', (dialect) => {
  let browser: Browser
  let base: string
  const uploads = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-e2e-avatars-'))
  const ctx = useTestApp(dialect, { app: { env: { ...LOCAL_CLIENTS_UNLIMITED, UPLOADS_DIR: uploads } } })

  beforeAll(async () => {
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    fs.mkdirSync(SHOTS, { recursive: true })
  }, 60000)
  afterAll(async () => {
    await browser?.close()
    fs.rmSync(uploads, { recursive: true, force: true })
  })

  async function loggedIn (username: string, password: string, problems: string[]): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    watch(context, problems)
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.fill('input[name=login]', username)
    await page.fill('input[name=password]', password)
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('form[action="/login"] [type=submit]')])
    return page
  }

  it('uploads an avatar, sees it on the floor, and is told when quoted', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '街坊茶座' })
    const alice = await createUser(ctx.db.knex, { username: 'alice_hk', password: 'alice-pass-20' })
    const bob = await createUser(ctx.db.knex, { username: 'bob_mo', password: 'bob-pass-20' })
    const problems: string[] = []
    const a = await loggedIn(alice.username, alice.password, problems)

    // The avatar through the no-JavaScript form: a 640 × 400 picture comes back as three squares.
    const picture = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="640" height="400" fill="#2e78a8"/><circle cx="320" cy="200" r="150" fill="#ffd166"/></svg>')).png().toBuffer()
    await a.goto(`${base}/settings/avatar`)
    await a.setInputFiles('#avatar-file', { name: 'me.png', mimeType: 'image/png', buffer: picture })
    await Promise.all([a.waitForURL(/\/settings\/avatar\?saved=avatar/), a.click('form[enctype="multipart/form-data"] [type=submit]')])
    expect(await a.textContent('.notice')).toBe('头像已更新')

    await a.goto(`${base}/forum/${boardId}/new`)
    await a.fill('input[name=title]', '周末去哪儿饮茶？')
    await a.fill('textarea[name=body]', '想找一间有虾饺的老字号。')
    await Promise.all([a.waitForURL(/\/thread\/\d+$/), a.click('form[action$="/new"] [type=submit]')])
    const threadUrl = a.url()
    const floorAvatar = a.locator('.author-avatar img').first()
    await floorAvatar.scrollIntoViewIfNeeded()
    await a.waitForFunction('(() => { const i = document.querySelector(".author-avatar img"); return i !== null && i.complete && i.naturalWidth > 0 })()')
    expect(await a.evaluate('(() => { const i = document.querySelector(".author-avatar img"); return [i.naturalWidth, i.naturalHeight, i.getAttribute("loading")] })()')).toEqual([120, 120, 'lazy'])
    await a.screenshot({ path: path.join(SHOTS, `member-floor-${dialect}.png`) })

    // Bob quotes Alice's floor with the 回复 link and posts.
    const b = await loggedIn(bob.username, bob.password, problems)
    await b.goto(threadUrl)
    await Promise.all([b.waitForURL(/quote=/), b.click('.post-actions a[href*="quote="]')])
    const prefill = await b.inputValue('textarea[name=body]')
    expect(prefill).toContain('**alice_hk**')
    await b.fill('textarea[name=body]', `${prefill}莲香楼，虾饺一流。`)
    ctx.t.clock.advance(600)
    await Promise.all([b.waitForURL(/#post-\d+$/), b.click('form[action$="/reply"] [type=submit]')])

    await a.goto(`${base}/forum`)
    expect(await a.textContent('#toptb .notice-link')).toBe('提醒 • 1')
    await Promise.all([a.waitForURL(`${base}/notifications`), a.click('#toptb .notice-link')])
    expect(await a.textContent('.notice-item')).toContain('bob_mo')
    expect(await a.textContent('.notice-item')).toContain('在回复中引用了您的帖子')
    await a.screenshot({ path: path.join(SHOTS, `member-notifications-${dialect}.png`) })
    await a.goto(`${base}/forum`)
    expect(await a.textContent('#toptb .notice-link')).toBe('提醒 • 0')
    expect(problems).toEqual([])
  }, 120000)
})
