import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { seedDemo } from '../../src/seeds/demo'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, testConfig } from '../helpers/app'
import { createUser } from '../helpers/factories'

/**
 * Issue 18's "done when", tried in a real browser (Debian's chromium through playwright-core): the site
 * owner, from /admin only, renames the site, adds a footer link, edits 关于我们, moves a category under
 * another, adds a board and gives it its own 版主 (who then moderates there and only there), renames 路过 to 路过看看, bans an IP range and promotes a member to editor. After
 * each step a guest's page shows the effect. Every page visited: no console error, no failed request,
 * no error status.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(os.tmpdir(), 'luntan-e2e')

/** The page's width against the viewport (a string: tsconfig has no DOM types). */
const SIDEWAYS = '(() => document.documentElement.scrollWidth - window.innerWidth)()'

function watch (context: BrowserContext, problems: string[]): void {
  context.on('page', (page: Page) => {
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error on ${page.url()}: ${msg.text()}`) })
    page.on('pageerror', (err) => { problems.push(`page error on ${page.url()}: ${err.message}`) })
    page.on('requestfailed', (req) => {
      // The browser cancelling a request because the page moved on is not the server failing it.
      if (req.failure()?.errorText === 'net::ERR_ABORTED') return
      problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? ''})`)
    })
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`${res.status()} for ${new URL(res.url()).pathname}`) })
  })
}

describe.each(dialects)('the site owner\'s journey through /admin in chromium on %s', (dialect) => {
  let browser: Browser
  let base: string
  const ADMIN = { username: 'site_owner', password: 'owner-pass-18' }
  const BOARD_MOD = { username: 'bazaar_keeper', password: 'keeper-pass-18' }

  const ctx = useTestApp(dialect, {
    app: { env: LOCAL_CLIENTS_UNLIMITED },
    seed: async (db) => {
      await seedDemo(db.knex, testConfig(db))
      await createUser(db.knex, { username: ADMIN.username, password: ADMIN.password, role: 'admin' })
      await createUser(db.knex, { username: BOARD_MOD.username, password: BOARD_MOD.password })
    }
  })

  beforeAll(async () => {
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    fs.mkdirSync(SHOTS, { recursive: true })
  }, 60000)
  afterAll(async () => {
    await browser?.close()
  })

  it('renames the site, edits the footer and 关于我们, moves a category, adds a board with its 版主, renames 路过, bans a range and promotes an editor', async () => {
    const knex = ctx.db.knex
    const problems: string[] = []
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    watch(context, problems)
    const page = await context.newPage()
    const guestContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    watch(guestContext, problems)
    const guest = await guestContext.newPage()
    /** A guest's page after a change: past the portal's few-second caches of the category tree and counts. */
    const guestSees = async (url: string): Promise<string> => {
      ctx.t.clock.advance(6)
      await guest.goto(`${base}${url}`)
      return await guest.content()
    }
    const shot = async (name: string): Promise<void> => {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        expect(await page.evaluate<number>(SIDEWAYS)).toBeLessThanOrEqual(0)
        await page.screenshot({ path: path.join(SHOTS, `${dialect}-owner-${name}-${width}.png`), fullPage: true })
      }
      await page.setViewportSize({ width: 1280, height: 900 })
    }

    // Log in; the admin centre is one click away in the top bar.
    await page.goto(`${base}/login`)
    await page.fill('input[name=login]', ADMIN.username)
    await page.fill('input[name=password]', ADMIN.password)
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('form[action="/login"] [type=submit]')])
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('#toptb a[href="/admin"]')])
    // What a guest sees before: the demo's name, 社区活动 at the top level.
    await guestSees('/')
    expect(await guest.title()).not.toContain('濠江街坊网')

    // 站点设置: a new name and a footer link (the empty row at the end adds one).
    await page.goto(`${base}/admin/settings`)
    await page.fill('#f-site_name', '濠江街坊网')
    await page.fill('#f-site_timezone', 'Europe/London')
    expect(await page.content()).not.toContain('街坊守则')
    await page.fill('input[aria-label="新链接的文字"]', '街坊守则')
    await page.fill('input[aria-label="新链接的地址"]', '/page/legal')
    await Promise.all([page.waitForURL(/\/admin\/settings\?saved=1$/), page.click('form[action="/admin/settings"] button.pnc')])
    // A logo through its own small form on the same page (multipart, no JavaScript needed).
    const logo = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48"><rect width="160" height="48" rx="8" fill="#1f5fa8"/><circle cx="24" cy="24" r="14" fill="#f2c230"/></svg>')).png().toBuffer()
    await page.setInputFiles('form[action^="/admin/settings/logo"] input[type=file]', { name: 'logo.png', mimeType: 'image/png', buffer: logo })
    await Promise.all([page.waitForURL(/\/admin\/settings\?saved=logo$/), page.click('form[action^="/admin/settings/logo"] button[type=submit]')])
    await shot('settings')
    let html = await guestSees('/')
    const logoSrc = await guest.getAttribute('#hd .logo img', 'src')
    expect(logoSrc).toMatch(/^\/uploads\//)
    expect(await guest.evaluate<number>('document.querySelector("#hd .logo img").naturalWidth')).toBeGreaterThan(0)
    expect(await guest.title()).toContain('濠江街坊网')
    expect(html).toContain('<span class="pipe">|</span><a href="/page/legal">街坊守则</a></p>')
    // The footer's clock in the zone just set (London in November: GMT).
    expect(await guest.textContent('.site-time')).toMatch(/^GMT, \d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}$/)

    // 单页: 关于我们 gets a new paragraph.
    await page.goto(`${base}/admin/pages`)
    const aboutRow = page.locator('tr', { has: page.locator('a[href="/page/about"]') })
    await Promise.all([page.waitForURL(/\/admin\/pages\/\d+\/edit$/), aboutRow.locator('a', { hasText: '编辑' }).click()])
    const body = await page.inputValue('#body')
    await page.fill('#body', `${body}\n\n本站由濠江街坊网志愿者团队维护，欢迎来稿。`)
    await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/edit')), page.click('form.admin-form button.pnc')])
    html = await guestSees('/page/about')
    expect(html).toContain('本站由濠江街坊网志愿者团队维护，欢迎来稿。')

    // 门户频道: 社区活动 moves under 生活百科; its page's path shows the new parent.
    const events = await knex('categories').where({ name: '社区活动' }).first<{ id: number }>('id')
    const life = await knex('categories').where({ name: '生活百科' }).first<{ id: number }>('id')
    await page.goto(`${base}/admin/categories/${events.id}/edit`)
    await page.selectOption('#cat-parent', String(life.id))
    await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/edit')), page.click('form.admin-form button.pnc')])
    await page.goto(`${base}/admin/categories`)
    await shot('categories')
    await guestSees(`/category/${events.id}`)
    expect(await guest.textContent('.breadcrumb')).toMatch(/生活百科\s*›\s*社区活动/)

    // 论坛版块: a new board in the first group shows on /forum.
    const group = await knex('boards').where({ is_group: true }).orderBy('display_order').first<{ id: number }>('id')
    await page.goto(`${base}/admin/boards`)
    await page.check('input[name=kind][value=board]')
    await page.fill('#b-name', '街坊二手')
    await page.fill('#b-desc', '闲置物品转让与交换')
    await page.selectOption('#b-parent', String(group.id))
    await Promise.all([page.waitForURL(/\/admin\/boards/), page.click('form[action="/admin/boards"] button.pnc')])
    expect(await page.content()).toContain('街坊二手')
    html = await guestSees('/forum')
    expect(html).toContain('街坊二手')

    // 版主: the new board gets a moderator of its own from its edit page; the board page names them.
    const bazaar = await knex('boards').where({ name: '街坊二手' }).first<{ id: number }>('id')
    await page.goto(`${base}/admin/boards/${bazaar.id}/edit`)
    const addModerator = page.locator(`form[action="/admin/boards/${bazaar.id}/moderators"]`)
    await addModerator.locator('input[name=username]').fill(BOARD_MOD.username)
    await Promise.all([page.waitForURL(/\?mod=added#moderators$/), addModerator.locator('button[type=submit]').click()])
    expect(await page.textContent('ul.board-moderators')).toContain(BOARD_MOD.username)
    await shot('board-moderator')
    await guestSees(`/forum/${bazaar.id}`)
    expect(await guest.textContent('.board-moderators')).toBe(`版主: ${BOARD_MOD.username}`)

    // That member, in their own browser: opens a thread in 街坊二手 and pins it with the thread page's tool;
    // on another board's thread there is no tool, and the same POST is refused (403, nothing changes).
    const modProblems: string[] = []
    const modContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    watch(modContext, modProblems)
    const mod = await modContext.newPage()
    await mod.goto(`${base}/login`)
    await mod.fill('input[name=login]', BOARD_MOD.username)
    await mod.fill('input[name=password]', BOARD_MOD.password)
    await Promise.all([mod.waitForURL((url) => url.pathname !== '/login'), mod.click('form[action="/login"] [type=submit]')])
    await mod.goto(`${base}/forum/${bazaar.id}/new`)
    await mod.fill('#thread-title', '出一辆八成新的单车')
    await mod.fill('#thread-body', '自提，价格面议。')
    await Promise.all([mod.waitForURL(/\/thread\/\d+$/), mod.click('form button.pnc')])
    const ownThread = Number(/\/thread\/(\d+)$/.exec(mod.url())?.[1])
    const pin = mod.locator(`form[action="/thread/${ownThread}/pin"] button[type=submit]`)
    expect(await pin.textContent()).toBe('置顶')
    await Promise.all([mod.waitForURL(new RegExp(`/thread/${ownThread}`)), pin.click()])
    expect(Boolean((await knex('threads').where({ id: ownThread }).first<{ pinned: number | boolean }>('pinned')).pinned)).toBe(true)
    const other = await knex('threads').whereNot({ board_id: bazaar.id }).where({ status: 'visible', pinned: false }).orderBy('id').first<{ id: number }>('id')
    await mod.goto(`${base}/thread/${other.id}`)
    expect(await mod.locator(`form[action="/thread/${other.id}/pin"]`).count()).toBe(0)
    const token = await mod.getAttribute('input[name=_csrf]', 'value')
    const refused = await mod.request.post(`${base}/thread/${other.id}/pin`, { form: { _csrf: token ?? '', pinned: '1', reason: '' }, maxRedirects: 0 })
    expect(refused.status()).toBe(403)
    expect(Boolean((await knex('threads').where({ id: other.id }).first<{ pinned: number | boolean }>('pinned')).pinned)).toBe(false)
    expect(modProblems.filter((p) => p !== `403 for /thread/${other.id}/pin`)).toEqual([])
    await modContext.close()

    // 表态: 路过 becomes 路过看看; an article's widget says so.
    await page.goto(`${base}/admin/reactions`)
    const luguo = page.locator('form[action="/admin/reactions/luguo"]')
    await luguo.locator('input[name=name]').fill('路过看看')
    await Promise.all([page.waitForURL(/\/admin\/reactions/), luguo.locator('button[type=submit]').click()])
    await shot('reactions')
    const article = await knex('articles').where({ status: 'published' }).orderBy('id').first<{ id: number }>('id')
    html = await guestSees(`/article/${article.id}`)
    expect(html).toContain('路过看看')

    // 禁止 IP: a documentation range (not this browser's 127.0.0.1), listed; the guest still gets in.
    await page.goto(`${base}/admin/ip-bans`)
    await page.fill('#range', '203.0.113.0/24')
    await page.fill('#reason', '广告机器人')
    await Promise.all([page.waitForURL(/\/admin\/ip-bans/), page.click('form[action="/admin/ip-bans"] button.pnc, form[action="/admin/ip-bans"] button[type=submit]')])
    expect(await page.textContent('body')).toContain('203.0.113.0/24')
    await guestSees('/')
    expect(await guest.title()).toContain('濠江街坊网')

    // 用户管理: 濠江小厨 becomes an editor; their profile says 编辑.
    const member = await knex('users').where({ username: '濠江小厨' }).first<{ id: number }>('id')
    await page.goto(`${base}/admin/members?q=${encodeURIComponent('濠江小厨')}`)
    await Promise.all([page.waitForURL(new RegExp(`/admin/members/${member.id}`)), page.click(`a[href="/admin/members/${member.id}"]`)])
    await page.selectOption('#role', 'editor')
    await Promise.all([page.waitForURL(new RegExp(`/admin/members/${member.id}`)), page.click(`form[action="/admin/members/${member.id}/role"] button[type=submit]`)])
    await shot('member')
    expect((await knex('users').where({ id: member.id }).first<{ role: string }>('role')).role).toBe('editor')
    await guestSees(`/user/${member.id}`)
    expect(await guest.textContent('.profile-role')).toBe('编辑')

    expect(problems).toEqual([])
    await context.close()
    await guestContext.close()
  }, 300000)
})
