import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, csrfToken, login, type TestApp } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { safeReturnPath } from '../../src/features/members/routes'
import { namedCookie, sessionCookie, withoutLoginCaptcha } from './_helpers'
import { KnexSessionStore } from '../../src/plugins/session'
import type { Session } from 'fastify'

describe('safeReturnPath', () => {
  it.each([
    ['/settings', '/settings'],
    ['/article/3?page=2#c', '/article/3?page=2#c'],
    ['//evil.com', '/'],
    ['/\\evil.com', '/'],
    ['/\t/evil.com', '/'],
    ['/\n/evil.com', '/'],
    ['https://evil.com/', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.com', '/'],
    ['', '/']
  ])('%j → %j', (raw, expected) => {
    expect(safeReturnPath(raw)).toBe(expected)
  })
})

describe.each(dialects)('login, logout and sessions on %s', (dialect) => {
  // A fresh app (and clock) per test: the per-IP rate limit of POST /login starts from zero each time.
  const ctx = useTestApp(dialect, { perTest: true, seed: withoutLoginCaptcha })
  let alice: CreatedUser
  beforeAll(async () => {
    alice = await createUser(ctx.db.knex, { username: 'Alice', email: 'alice@example.com' })
  })
  beforeEach(async () => {
    await ctx.db.knex('login_attempts').delete()
  })

  async function tryLogin (agent: ReturnType<TestApp['agent']>, loginName: string, password: string, ret?: string): Promise<import('supertest').Response> {
    const page = await agent.get('/login' + (ret !== undefined ? '?return=' + encodeURIComponent(ret) : '')).expect(200)
    const form: Record<string, string> = { _csrf: csrfFrom(page.text), login: loginName, password }
    if (ret !== undefined) form.return = /name="return" value="([^"]*)"/.exec(page.text)?.[1] ?? ''
    return await agent.post('/login').type('form').send(form)
  }

  it('logs in by username (any case) and by e-mail', async () => {
    const a = ctx.t.agent()
    expect((await tryLogin(a, 'alice', alice.password)).status).toBe(303)
    expect((await a.get('/settings')).status).toBe(200)
    const b = ctx.t.agent()
    expect((await tryLogin(b, 'ALICE@example.com', alice.password)).status).toBe(303)
    expect((await b.get('/settings')).status).toBe(200)
  })

  it('refuses a wrong password with a Chinese message and keeps the name typed', async () => {
    const res = await tryLogin(ctx.t.agent(), 'alice', 'wrong-password')
    expect(res.status).toBe(400)
    expect(res.text).toContain('登录失败，用户名或密码错误')
    expect(res.text).toContain('value="alice"')
  })

  it('follows a same-site return path and refuses open redirects', async () => {
    const ok = await tryLogin(ctx.t.agent(), 'alice', alice.password, '/user/1')
    expect(ok.headers.location).toBe('/user/1')
    for (const evil of ['//evil.com', '/\\evil.com', 'https://evil.com/x']) {
      const res = await tryLogin(ctx.t.agent(), 'alice', alice.password, evil)
      expect(res.status).toBe(303)
      expect(res.headers.location).toBe('/')
    }
    // Even a hand-made form field cannot do it.
    const a = ctx.t.agent()
    const token = await csrfToken(a)
    const res = await a.post('/login').type('form').send({ _csrf: token, login: 'alice', password: alice.password, return: '//evil.com' })
    expect(res.headers.location).toBe('/')
  })

  it('gives a new session id at login (no fixation) and records user_id in the session row', async () => {
    // A guest has no session (nothing to fix); a member logging in again, or someone who planted a
    // session cookie, gets a new id and the old row is gone.
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const settings = await a.get('/settings').expect(200)
    const before = sessionCookie(await a.post('/login').type('form').send({ _csrf: csrfFrom(settings.text), login: 'alice', password: alice.password }).expect(303))
    const page = await a.get('/settings').expect(200)
    const res = await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'alice', password: alice.password }).expect(303)
    const after = sessionCookie(res)
    expect(after).not.toBe(before)
    const oldId = decodeURIComponent(before.slice('luntan_sid='.length)).split('.')[0]
    expect(await ctx.db.knex('sessions').where({ id: oldId }).first()).toBeUndefined()
    const rows = await ctx.db.knex('sessions').where({ user_id: alice.id })
    expect(rows.length).toBeGreaterThan(0)
  })

  it('sets the cookie HttpOnly and SameSite=Lax, not Secure over plain HTTP', async () => {
    const res = await ctx.t.agent().get('/login')
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(cookie).not.toMatch(/Secure/i)
  })

  it('logs out with a POST (CSRF-checked)', async () => {
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const settings = await a.get('/settings').expect(200)
    await a.post('/logout').type('form').send({}).expect(403)
    expect((await a.get('/settings')).status).toBe(200)
    await a.post('/logout').type('form').send({ _csrf: csrfFrom(settings.text) }).expect(303)
    const after = await a.get('/settings')
    expect(after.status).toBe(303)
    expect(after.headers.location).toBe('/login?return=%2Fsettings')
  })

  it('locks an account after 5 failures for 15 minutes, even for the right password', async () => {
    const bob = await createUser(ctx.db.knex, { username: 'bob' })
    for (let i = 0; i < 5; i++) expect((await tryLogin(ctx.t.agent(), 'bob', 'wrong-password')).status).toBe(400)
    const locked = await tryLogin(ctx.t.agent(), 'bob', bob.password)
    expect(locked.status).toBe(429)
    expect(locked.text).toContain('密码错误次数过多，请 15 分钟后重新登录')
    // By e-mail it is the same account.
    expect((await tryLogin(ctx.t.agent(), `${bob.username}@example.com`, bob.password)).status).toBe(429)
    ctx.t.clock.advance(14 * 60)
    expect((await tryLogin(ctx.t.agent(), 'bob', bob.password)).status).toBe(429)
    ctx.t.clock.advance(60 + 1)
    expect((await tryLogin(ctx.t.agent(), 'bob', bob.password)).status).toBe(303)
  })

  it('locks an IP after 5 failures across accounts, and cleans old rows', async () => {
    for (let i = 0; i < 5; i++) expect((await tryLogin(ctx.t.agent(), `nobody${i}`, 'wrong-password')).status).toBe(400)
    expect((await tryLogin(ctx.t.agent(), 'alice', alice.password)).status).toBe(429)
    // Stored as hashes, never the raw address.
    const rows = await ctx.db.knex('login_attempts').select('ip_hash')
    expect(rows.every((r: { ip_hash: string }) => !r.ip_hash.includes('127.0.0.1'))).toBe(true)
    ctx.t.clock.advance(15 * 60 + 1)
    // The next failure cleans rows older than the window (at most once a minute per process).
    ctx.t.clock.advance(61)
    expect((await tryLogin(ctx.t.agent(), 'nobody-x', 'wrong-password')).status).toBe(400)
    expect(await countRows(ctx.db.knex, 'login_attempts')).toBe(1)
    expect((await tryLogin(ctx.t.agent(), 'alice', alice.password)).status).toBe(303)
  })

  it('holds the lockout across app instances (it lives in the database)', async () => {
    const carol = await createUser(ctx.db.knex, { username: 'carol' })
    const t2 = await ctx.secondApp()
    try {
      for (let i = 0; i < 3; i++) await tryLogin(ctx.t.agent(), 'carol', 'wrong-password')
      for (let i = 0; i < 2; i++) await tryLogin(t2.agent(), 'carol', 'wrong-password')
      expect((await tryLogin(t2.agent(), 'carol', carol.password)).status).toBe(429)
      expect((await tryLogin(ctx.t.agent(), 'carol', carol.password)).status).toBe(429)
    } finally {
      await t2.close()
    }
  })

  it('shares a session between two app instances on one database', async () => {
    const t2 = await ctx.secondApp()
    try {
      const page = await ctx.t.agent().get('/login')
      const a = ctx.t.agent()
      const p = await a.get('/login')
      const res = await a.post('/login').type('form').send({ _csrf: csrfFrom(p.text), login: 'alice', password: alice.password }).expect(303)
      expect(page.status).toBe(200)
      const cookie = sessionCookie(res)
      const other = await t2.agent().get('/settings').set('Cookie', cookie).expect(200)
      expect(other.text).toContain('Alice')
      // And logging out on one ends it on the other (the form's token goes with its CSRF cookie).
      const both = `${cookie}; ${namedCookie(other, 'luntan_csrf')}`
      await t2.agent().post('/logout').set('Cookie', both).type('form').send({ _csrf: csrfFrom(other.text) }).expect(303)
      expect((await ctx.t.agent().get('/settings').set('Cookie', cookie)).status).toBe(303)
    } finally {
      await t2.close()
    }
  })

  it('rate-limits POST /login per IP (429 page in Chinese)', async () => {
    const a = ctx.t.agent()
    const token = await csrfToken(a)
    let last = 0
    for (let i = 0; i < 21; i++) {
      last = (await a.post('/login').type('form').send({ _csrf: token, login: '', password: '' })).status
    }
    expect(last).toBe(429)
    const res = await a.post('/login').type('form').send({ _csrf: token, login: '', password: '' })
    expect(res.text).toContain('您的操作太频繁，请稍后再试')
  })

  it('does not bring back a session deleted while a request of it was in flight', async () => {
    const store = new KnexSessionStore(ctx.db.knex, ctx.t.clock)
    const call = async <T>(fn: (cb: (err?: unknown, v?: T) => void) => void): Promise<T | undefined> =>
      await new Promise((resolve, reject) => { fn((err, v) => { if (err !== undefined && err !== null) reject(err instanceof Error ? err : new Error('store error', { cause: err })); else resolve(v) }) })
    const session = { cookie: { expires: new Date(ctx.t.clock.nowMs() + 3600_000) }, userId: alice.id } as unknown as Session
    await call((cb) => { store.set('in-flight', session, cb) }) // a new session is inserted
    await call<Session | null>((cb) => { store.get('in-flight', cb) }) // a request loads it ...
    await ctx.db.knex('sessions').where({ id: 'in-flight' }).delete() // ... a password change elsewhere ends it ...
    await call((cb) => { store.set('in-flight', session, cb) }) // ... and the request saves at its end
    expect(await ctx.db.knex('sessions').where({ id: 'in-flight' }).first()).toBeUndefined()
  })

  it('does not rewrite an unchanged rolling session on every request, only when its expiry moved an hour', async () => {
    const dave = await createUser(ctx.db.knex, { username: 'dave' })
    const a = await login(ctx.t.agent(), 'dave', dave.password)
    await a.get('/settings').expect(200) // creates the CSRF secret: a real change, written
    const before = await ctx.db.knex('sessions').where({ user_id: dave.id }).first()
    await ctx.db.knex('sessions').where({ id: before.id }).update({ expires_at: Number(before.expires_at) - 60 })
    await a.get('/settings').expect(200)
    const same = await ctx.db.knex('sessions').where({ id: before.id }).first()
    expect(Number(same.expires_at)).toBe(Number(before.expires_at) - 60) // not rewritten
    await ctx.db.knex('sessions').where({ id: before.id }).update({ expires_at: Number(before.expires_at) - 7200 })
    await a.get('/settings').expect(200)
    const moved = await ctx.db.knex('sessions').where({ id: before.id }).first()
    expect(Number(moved.expires_at)).toBeGreaterThanOrEqual(Number(before.expires_at)) // rolled forward
  })

  it('deletes expired session rows in bounded batches', async () => {
    const now = ctx.t.clock.now()
    await ctx.db.knex('sessions').insert(Array.from({ length: 25 }, (_, i) => ({ id: `expired-${i}`, user_id: null, data: '{}', expires_at: now - 100 + i })))
    await ctx.db.knex('sessions').insert({ id: 'live-session', user_id: null, data: '{}', expires_at: now + 3600 })
    const store = new KnexSessionStore(ctx.db.knex, ctx.t.clock)
    const expired = async (): Promise<number> => Number((await ctx.db.knex('sessions').where('id', 'like', 'expired-%').count({ n: '*' }).first())?.n)
    expect(await store.deleteExpired(10)).toBe(10)
    expect(await expired()).toBe(15)
    expect(await store.deleteExpired(10)).toBe(10)
    expect(await store.deleteExpired(10)).toBe(5)
    expect(await store.deleteExpired(10)).toBe(0)
    expect(await ctx.db.knex('sessions').where({ id: 'live-session' }).first()).toBeDefined()
    await ctx.db.knex('sessions').where({ id: 'live-session' }).delete()
  })

  it('marks the cookie Secure behind an HTTPS proxy when TRUST_PROXY is on', async () => {
    const t2 = await ctx.secondApp({ env: { TRUST_PROXY: 'true' } })
    try {
      const res = await t2.agent().get('/login').set('X-Forwarded-Proto', 'https')
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/)
    } finally {
      await t2.close()
    }
  })

  it('shows 登录 | 注册 to guests, and name, 设置, 退出 (and 管理 for staff) to members', async () => {
    const guest = await ctx.t.agent().get('/login')
    expect(guest.text).toContain('href="/register"')
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const page = await a.get(`/user/${alice.id}`)
    expect(page.text).toContain(`<a href="/user/${alice.id}" class="username">Alice</a>`)
    expect(page.text).toContain('<a href="/settings">设置</a>')
    expect(page.text).toMatch(/<form method="post" action="\/logout"[^>]*>\s*<input type="hidden" name="_csrf"/)
    expect(page.text).not.toContain('href="/mod"')
    const mod = await createUser(ctx.db.knex, { username: 'moddy', role: 'moderator' })
    const m = await login(ctx.t.agent(), 'moddy', mod.password)
    expect((await m.get(`/user/${alice.id}`)).text).toContain('<a href="/mod">管理</a>')
  })
})
