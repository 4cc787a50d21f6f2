import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { parseDocument } from 'htmlparser2'
import { findAll, getAttributeValue, textContent } from 'domutils'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, LOCAL_CLIENTS_UNLIMITED, login } from '../helpers/app'
import { ACCESS, routeKey } from './access-table'
import { createCast, createResources, fillPath, openSession, rowCounts, type Cast, type Resources } from './fixtures'

const SESSION_COOKIE = 'luntan_sid'

/** Every state-changing route of the app, from its route table (a new POST route is covered the day it is added). */
function stateChanging (routes: ReadonlyArray<{ method: string, url: string }>): Array<{ key: string, url: string }> {
  return routes.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method)).map((r) => ({ key: routeKey(r.method, r.url), url: r.url }))
}

// The database's setup (migrations, seeding with bcrypt) outlasts the default 30 s on a busy MariaDB.
jest.setTimeout(120_000)

describe.each(dialects)('CSRF, sessions and security headers on %s', (dialect) => {
  const uploads = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-sec-uploads-'))
  const ctx = useTestApp(dialect, { app: { env: { ...LOCAL_CLIENTS_UNLIMITED, UPLOADS_DIR: uploads } } })
  let cast: Cast
  let resources: Resources
  afterAll(() => { fs.rmSync(uploads, { recursive: true, force: true }) })

  beforeAll(async () => {
    cast = await createCast(ctx.db.knex)
    resources = await createResources(ctx.db.knex, cast)
  })

  it('refuses every state-changing route without a token and with another session\'s token, as the admin, changing nothing', async () => {
    const admin = await openSession(ctx.t, cast, 'admin')
    const other = await openSession(ctx.t, cast, 'member')
    const routes = stateChanging(ctx.t.app.routeTable)
    expect(routes.length).toBeGreaterThan(40)
    let checked = 0
    for (const { key } of routes) {
      const row = ACCESS[key]
      if (row === undefined) throw new Error(`${key} has no row in test/security/access-table.ts`)
      const url = fillPath(row.path, resources)
      const before = await rowCounts(ctx.db.knex)
      for (const token of [undefined, other.token, 'forged-token']) {
        const res = await admin.agent.post(url).type('form').send(token === undefined ? { ...row.body } : { _csrf: token, ...row.body })
        // /login and /register refuse a bad token as every other form does: 403 and the Chinese reason.
        expect({ key, token: token === undefined ? 'none' : token === other.token ? 'foreign' : 'forged', status: res.status }).toEqual({ key, token: token === undefined ? 'none' : token === other.token ? 'foreign' : 'forged', status: 403 })
        expect(res.text).toContain('表单已过期或来源不明')
        checked++
      }
      expect({ key, counts: await rowCounts(ctx.db.knex) }).toEqual({ key, counts: before })
    }
    // The header route (x-csrf-token) is held to the same token.
    const res = await admin.agent.post(fillPath('/article/{article}/react', resources)).set('x-csrf-token', other.token).send({ kind: 'luguo' })
    expect(res.status).toBe(403)
    console.log(`CSRF: ${checked} refusals checked on ${routes.length} state-changing routes (${dialect})`)
  })

  it('gives a new session id at login (a planted cookie is not adopted) and retires it at logout', async () => {
    const attacker = await login(ctx.t.agent(), cast.users.member.username, cast.users.member.password)
    const jar = attacker.jar.getCookie(SESSION_COOKIE, { domain: '127.0.0.1', path: '/', secure: false, script: false })
    expect(jar?.value).toBeTruthy()
    const planted = String(jar?.value)
    const victim = ctx.t.agent()
    const form = await victim.get('/login').expect(200)
    const res = await victim.post('/login').set('Cookie', `${SESSION_COOKIE}=${planted}`).type('form')
      .send({ _csrf: csrfFrom(form.text), login: cast.users.owner.username, password: cast.users.owner.password })
    // The planted session is a member's: its token binding refuses the victim's guest form (403), or the
    // login issues a fresh id. Either way the victim never ends up inside the attacker's session.
    const issued = String(res.headers['set-cookie'] ?? '')
    if (res.status === 303) expect(issued).toContain(`${SESSION_COOKIE}=`)
    if (res.status === 303) expect(issued).not.toContain(planted)
    else expect(res.status).toBe(403)
    const fresh = ctx.t.agent()
    const page = await fresh.get('/login').expect(200)
    const ok = await fresh.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: cast.users.owner.username, password: cast.users.owner.password }).expect(303)
    const cookie = (ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? ''
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toMatch(/Secure/) // plain HTTP here: a Secure cookie would never come back
    const sid = cookie.slice(SESSION_COOKIE.length + 1, cookie.indexOf(';'))
    const csrfCookie = (ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('luntan_csrf=')) ?? (page.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('luntan_csrf=')) ?? ''
    expect(csrfCookie).toMatch(/HttpOnly/i)
    const settings = await fresh.get('/settings').expect(200)
    await fresh.post('/logout').type('form').send({ _csrf: csrfFrom(settings.text) }).expect(303)
    // The old cookie, replayed after logout, is a guest's.
    const replay = await ctx.t.agent().get('/settings').set('Cookie', `${SESSION_COOKIE}=${sid}`).redirects(0)
    expect(replay.status).toBe(303)
    expect(String(replay.headers.location)).toMatch(/^\/login/)
  })

  it('sets Secure on the session cookie behind an HTTPS proxy it trusts', async () => {
    const app = await ctx.secondApp({ env: { ...LOCAL_CLIENTS_UNLIMITED, TRUST_PROXY: '127.0.0.1,::1,::ffff:127.0.0.1' } })
    try {
      const agent = (await import('supertest')).default.agent(app.app.server)
      const form = await agent.get('/login').set('X-Forwarded-Proto', 'https').expect(200)
      const csrfCookie = (form.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('luntan_csrf=')) ?? ''
      expect(csrfCookie).toMatch(/;\s*Secure/i)
      // The test client speaks plain HTTP and keeps Secure cookies to itself: the browser's part, by hand.
      const res = await agent.post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', csrfCookie.slice(0, csrfCookie.indexOf(';'))).type('form')
        .send({ _csrf: csrfFrom(form.text), login: cast.users.owner.username, password: cast.users.owner.password })
      expect(res.status).toBe(303)
      const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? ''
      expect(cookie).toMatch(/;\s*Secure/i)
      expect(String(res.headers['strict-transport-security'])).toMatch(/max-age=\d+/)
    } finally {
      await app.close()
    }
  })

  const OPEN_REDIRECTS = ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/\t/evil.example', '\\\\evil.example', 'javascript:alert(1)', '%2F%2Fevil.example', '/%2F/evil.example', 'http:evil.example', '/\u3000/evil.example', ' //evil.example']
  it.each(OPEN_REDIRECTS)('never redirects off the site after login with ?return=%j', async (target) => {
    const agent = ctx.t.agent()
    const form = await agent.get('/login?return=' + encodeURIComponent(target)).expect(200)
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), login: cast.users.owner.username, password: cast.users.owner.password, return: target })
    expect(res.status).toBe(303)
    const location = String(res.headers.location)
    const resolved = new URL(location, 'http://luntan.test/')
    expect({ target, host: resolved.host }).toEqual({ target, host: 'luntan.test' })
    // A logged-in member opening /login?return= is sent on too: the same rule.
    const again = await agent.get('/login?return=' + encodeURIComponent(target)).redirects(0)
    expect(new URL(String(again.headers.location), 'http://luntan.test/').host).toBe('luntan.test')
  })

  const PAGES = ['/', '/forum', '/login', '/no-such-page', '/article/999999', '/archiver/']
  it.each(PAGES)('%s cannot be framed by another site and allows no inline script', async (url) => {
    const res = await ctx.t.agent().get(url)
    expect(res.status).toBeLessThan(500)
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
    const csp = String(res.headers['content-security-policy'])
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]))
    expect(directives.get('frame-ancestors')).toEqual(["'self'"])
    const scripts = directives.get('script-src') ?? directives.get('default-src') ?? []
    expect(scripts).not.toContain("'unsafe-inline'")
    expect(scripts).not.toContain("'unsafe-eval'")
    expect(directives.get('object-src')).toEqual(["'none'"])
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    // What the policy would block must not be in our own pages either: parsed, not searched.
    const doc = parseDocument(res.text)
    const inline = findAll((el) => el.name === 'script' && getAttributeValue(el, 'src') === undefined && textContent(el).trim() !== '' && getAttributeValue(el, 'type') !== 'application/ld+json', doc.children)
    expect(inline.map((el) => textContent(el).slice(0, 80))).toEqual([])
    const handlers = findAll((el) => Object.keys(el.attribs).some((a) => a.startsWith('on')), doc.children)
    expect(handlers.map((el) => el.name)).toEqual([])
  })

  it('serves uploaded pictures with their own image type and nosniff, and refuses HTML dressed as a picture', async () => {
    const admin = await openSession(ctx.t, cast, 'admin')
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } }).png().toBuffer()
    const res = await admin.agent.post('/uploads').set('x-csrf-token', admin.token).set('Accept', 'application/json').attach('file', png, { filename: 'a.html', contentType: 'text/html' })
    expect(res.status).toBe(200)
    const url = String((res.body as { url: string }).url)
    const stored = await ctx.t.agent().get(url).expect(200)
    expect(stored.headers['content-type']).toBe('image/png')
    expect(stored.headers['x-content-type-options']).toBe('nosniff')
    const before = await rowCounts(ctx.db.knex)
    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>')
    const refused = await admin.agent.post('/uploads').set('x-csrf-token', admin.token).set('Accept', 'application/json').attach('file', html, { filename: 'x.png', contentType: 'image/png' })
    expect(refused.status).toBe(400)
    expect(await rowCounts(ctx.db.knex)).toEqual(before)
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>')
    const refusedSvg = await admin.agent.post('/uploads').set('x-csrf-token', admin.token).set('Accept', 'application/json').attach('file', svg, { filename: 'x.svg', contentType: 'image/svg+xml' })
    expect(refusedSvg.status).toBe(400)
    expect(await rowCounts(ctx.db.knex)).toEqual(before)
  })
})
