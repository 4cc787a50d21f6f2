import type { AddressInfo } from 'node:net'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const LAYOUT_CLASS = /<html lang="zh-CN" class="layout-(mobile|desktop)">/

/** The <html> class a page was rendered with: 'mobile', 'desktop', or null (responsive, the default). */
function layoutOf (html: string): string | null {
  return LAYOUT_CLASS.exec(html)?.[1] ?? (html.includes('<html lang="zh-CN">') ? null : 'unknown')
}

describe.each(dialects)('手机版 / 电脑版 switch, manifest and the header\'s quick login on %s', (dialect) => {
  // The guest page cache on (1 s, the test clock does not move): a copy must never cross layouts.
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000 } })
  let articleId: number
  let member: { username: string, password: string }

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    member = await createUser(ctx.db.knex, { password: 'quick-pass-21' })
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, publishedAt: ctx.t.clock.now() - 60 })
  })

  it('?mobile=2 remembers 手机版 in a cookie and redirects to the same URL without the parameter', async () => {
    const res = await ctx.t.agent().get(`/article/${articleId}?page=1&mobile=2`).expect(302)
    expect(res.headers.location).toBe(`/article/${articleId}?page=1`)
    expect(res.headers['set-cookie']?.[0]).toMatch(/^luntan_layout=mobile; Path=\/; Max-Age=31536000; SameSite=Lax/)
    const agent = ctx.t.agent()
    await agent.get('/?mobile=yes').expect(302)
    const page = await agent.get('/').expect(200)
    expect(layoutOf(page.text)).toBe('mobile')
    expect(page.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">')
  })

  it('?mobile=no forces the desktop layout (a desktop-wide viewport on a phone); another value forgets the choice', async () => {
    const agent = ctx.t.agent()
    await agent.get('/forum?mobile=no').expect(302).expect('location', '/forum')
    const page = await agent.get('/forum').expect(200)
    expect(layoutOf(page.text)).toBe('desktop')
    expect(page.text).toContain('<meta name="viewport" content="width=1240">')
    const forget = await agent.get('/forum?mobile=auto').expect(302)
    expect(forget.headers['set-cookie']?.[0]).toMatch(/^luntan_layout=; Path=\/; Max-Age=0/)
    expect(layoutOf((await agent.get('/forum').expect(200)).text)).toBeNull()
  })

  it('Discuz\'s legacy forum.php?mobile=2 switches, then lands on the forum', async () => {
    const agent = ctx.t.agent()
    await agent.get('/forum.php?mobile=2').expect(302).expect('location', '/forum.php')
    const legacy = await agent.get('/forum.php').expect(301)
    expect(legacy.headers.location).toBe('/forum')
    expect(layoutOf((await agent.get('/forum').expect(200)).text)).toBe('mobile')
  })

  it('keeps guest copies apart by layout, inside Fastify and at the front door', async () => {
    // Inside Fastify (inject): the same URL, three layouts, three copies.
    const plain = await ctx.t.agent().get(`/article/${articleId}`).expect(200)
    const mobile = await ctx.t.agent().get(`/article/${articleId}`).set('Cookie', 'luntan_layout=mobile').expect(200)
    const desktop = await ctx.t.agent().get(`/article/${articleId}`).set('Cookie', 'luntan_layout=desktop').expect(200)
    const plainAgain = await ctx.t.agent().get(`/article/${articleId}`).expect(200)
    expect([plain, mobile, desktop, plainAgain].map((r) => layoutOf(r.text))).toEqual([null, 'mobile', 'desktop', null])
    // Through a socket, where the front door answers cached copies before Fastify.
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    const get = async (cookie?: string): Promise<string> => await (await fetch(`${base}/article/${articleId}`, { headers: cookie === undefined ? {} : { Cookie: cookie } })).text()
    const before = ctx.t.app.guestPages.answered.beforeFastify
    expect(layoutOf(await get())).toBeNull()
    expect(layoutOf(await get('luntan_layout=mobile'))).toBe('mobile')
    expect(layoutOf(await get('other=1; luntan_layout=desktop'))).toBe('desktop')
    expect(layoutOf(await get())).toBeNull()
    expect(ctx.t.app.guestPages.answered.beforeFastify - before).toBe(4)
    // The switch itself is never answered from a copy: its redirect and cookie come every time.
    const res = await fetch(`${base}/article/${articleId}?mobile=2`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('set-cookie')).toMatch(/^luntan_layout=mobile/)
  })

  it('serves a web app manifest in Discuz blue, with the icons it names', async () => {
    const res = await ctx.t.agent().get('/manifest.webmanifest').expect(200).expect('content-type', /application\/manifest\+json/)
    const manifest = JSON.parse(res.text) as { name: string, theme_color: string, lang: string, start_url: string, icons: Array<{ src: string, sizes: string }> }
    expect(manifest).toMatchObject({ theme_color: '#2B7ACD', lang: 'zh-CN', start_url: '/' })
    expect(manifest.icons.map((i) => i.sizes)).toEqual(['192x192', '512x512'])
    for (const icon of manifest.icons) await ctx.t.agent().get(icon.src).expect(200).expect('content-type', 'image/png')
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain('<meta name="theme-color" content="#2B7ACD">')
    expect(home.text).toContain('<link rel="manifest" href="/manifest.webmanifest">')
    // The Archiver has a tiny layout of its own: added to a home screen it looks the same.
    const archiver = await ctx.t.agent().get('/archiver/').expect(200)
    expect(archiver.text).toContain('<meta name="theme-color" content="#2B7ACD">')
    expect(archiver.text).toContain('<link rel="manifest" href="/manifest.webmanifest">')
  })

  it('shows a guest the quick login box (without a token: the page is shared) and a member their links', async () => {
    const home = await ctx.t.agent().get('/').expect(200)
    const box = /<form method="post" action="\/login" class="quick-login"[\s\S]*?<\/form>/.exec(home.text)?.[0] ?? ''
    for (const part of ['<label for="ql-login" class="ql-label">用户名</label>', '<label for="ql-password" class="ql-label">密码</label>', '自动登录', 'href="/password/forgot"', '立即注册']) expect(box).toContain(part)
    expect(box).not.toContain('_csrf')
    // One login form a page: not on the login and register pages themselves.
    for (const path of ['/login', '/register']) expect((await ctx.t.agent().get(path).expect(200)).text).not.toContain('class="quick-login"')
    const agent = ctx.t.agent()
    await agent.post('/login').type('form').set('Sec-Fetch-Site', 'same-origin').send({ login: member.username, password: 'quick-pass-21', return: '/forum' }).expect(303).expect('location', '/forum')
    const mine = await agent.get('/').expect(200)
    expect(mine.text).not.toContain('class="quick-login"')
    for (const part of [`>${member.username}</a>`, 'href="/notifications"', '提醒', 'href="/settings"', '退出', 'class="avatar-s"']) expect(mine.text).toContain(part)
  })

  it('refuses a tokenless login sent from another site, or with no sign of where it came from', async () => {
    const body = { login: member.username, password: 'quick-pass-21' }
    await ctx.t.agent().post('/login').type('form').set('Sec-Fetch-Site', 'cross-site').send(body).expect(403)
    await ctx.t.agent().post('/login').type('form').set('Origin', 'https://evil.example').send(body).expect(403)
    await ctx.t.agent().post('/login').type('form').send(body).expect(403)
    // A wrong password from the header box: the login page with its message, nothing else.
    const wrong = await ctx.t.agent().post('/login').type('form').set('Sec-Fetch-Site', 'same-origin').send({ login: member.username, password: 'nope' })
    expect(wrong.status).toBe(400)
    expect(wrong.text).toContain('form-error')
  })
})
