import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import type supertest from 'supertest'

/** The luntan_sid Set-Cookie of a response, or undefined. */
function sessionCookie (res: supertest.Response): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] as unknown as string[] ?? [])
  return cookies.find((c) => c.startsWith('luntan_sid='))
}

/** Seconds from now until the cookie's Expires (NaN without one). */
function secondsLeft (cookie: string): number {
  const m = /Expires=([^;]+)/.exec(cookie)
  return m === null ? NaN : (Date.parse(m[1] ?? '') - Date.now()) / 1000
}

describe.each(dialects)('自动登录 (remembered login) on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let alice: CreatedUser
  beforeAll(async () => {
    alice = await createUser(ctx.db.knex, { username: 'remember-alice' })
  })

  async function loginPage (agent: supertest.Agent, extra: Record<string, string>): Promise<supertest.Response> {
    const page = await agent.get('/login').expect(200)
    return await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: alice.username, password: alice.password, ...extra }).expect(303)
  }

  it('shows an unchecked 自动登录 box on /login and in the header quick login', async () => {
    const page = await ctx.t.agent().get('/login').expect(200)
    expect(page.text).toMatch(/<input type="checkbox" name="cookietime" value="2592000">\s*自动登录/)
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toMatch(/<input type="checkbox" name="cookietime" value="2592000">自动登录/)
  })

  it('without the box: a browser-session cookie (no Expires, no Max-Age), kept so on later pages', async () => {
    const agent = ctx.t.agent()
    const sid = sessionCookie(await loginPage(agent, {}))
    expect(sid).toBeDefined()
    expect(sid).not.toMatch(/Expires=|Max-Age=/i)
    // The rolling session rewrites its cookie on each response: still without an expiry.
    const later = sessionCookie(await agent.get('/settings').expect(200))
    expect(later).toBeDefined()
    expect(later).not.toMatch(/Expires=|Max-Age=/i)
    // The server's row still expires on its own schedule (not never).
    const row = await ctx.db.knex('sessions').orderBy('expires_at', 'desc').first<{ expires_at: number }>('expires_at')
    expect(Number(row.expires_at)).toBeGreaterThan(Date.now() / 1000)
  })

  it('with the box on /login: a cookie that lasts 30 days and keeps rolling', async () => {
    const agent = ctx.t.agent()
    const sid = sessionCookie(await loginPage(agent, { cookietime: '2592000' }))
    expect(sid).toMatch(/Expires=/)
    expect(secondsLeft(sid ?? '')).toBeGreaterThan(29 * 24 * 3600)
    const later = sessionCookie(await agent.get('/settings').expect(200))
    expect(secondsLeft(later ?? '')).toBeGreaterThan(29 * 24 * 3600)
  })

  it('the header quick login (no token, same-origin) follows its box too', async () => {
    const post = async (extra: Record<string, string>): Promise<string | undefined> => sessionCookie(await ctx.t.agent().post('/login').type('form')
      .set('Sec-Fetch-Site', 'same-origin').send({ login: alice.username, password: alice.password, return: '/', ...extra }).expect(303))
    expect(await post({})).not.toMatch(/Expires=|Max-Age=/i)
    const remembered = await post({ cookietime: '2592000' })
    expect(secondsLeft(remembered ?? '')).toBeGreaterThan(29 * 24 * 3600)
  })

  it('a failed login keeps the box as it was ticked', async () => {
    const agent = ctx.t.agent()
    const page = await agent.get('/login').expect(200)
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: alice.username, password: 'wrong-password', cookietime: '2592000' }).expect(400)
    expect(res.text).toMatch(/name="cookietime" value="2592000" checked/)
  })
})
