import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { postRegister } from './_helpers'

const HSTS = 'strict-transport-security'

describe.each(dialects)('sessions, cookies and headers on %s', (dialect) => {
  const ctx = useTestApp(dialect, { perTest: true })
  let alice: CreatedUser
  let articleId: number
  beforeAll(async () => {
    alice = await createUser(ctx.db.knex, { username: 'alice' })
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: alice.id })
  })

  const sessionRows = async (): Promise<number> => await countRows(ctx.db.knex, 'sessions')

  it('stores no session row for guests opening the login and registration forms', async () => {
    await ctx.db.knex('sessions').delete()
    for (let i = 0; i < 10; i++) {
      await ctx.t.agent().get('/login').expect(200)
      await ctx.t.agent().get('/register').expect(200)
    }
    expect(await sessionRows()).toBe(0)
    // The forms still work without JavaScript: the token's secret came in its own cookie.
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    expect((await a.get('/settings')).status).toBe(200)
    expect(await sessionRows()).toBe(1)
    expect((await postRegister(ctx.t.agent(), {})).status).toBe(303)
    expect(await sessionRows()).toBe(2)
  })

  it('accepts the token of every form on a page (one secret per response)', async () => {
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const page = await a.get('/settings').expect(200)
    const tokens = [...page.text.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1])
    expect(tokens.length).toBeGreaterThan(1)
    for (const token of tokens) {
      const res = await a.post('/settings').type('form').send({ _csrf: token, form: 'email', email: 'new@example.com', emailPassword: 'wrong' })
      expect(res.status).toBe(400) // the form's own error, not the 403 of a refused token
    }
  })

  it('refuses a guest form token once logged in (bound to the session), and a forged one', async () => {
    const a = ctx.t.agent()
    const guestPage = await a.get('/login').expect(200)
    const guestToken = csrfFrom(guestPage.text)
    await a.post('/login').type('form').send({ _csrf: guestToken, login: 'alice', password: alice.password }).expect(303)
    const res = await a.post('/logout').type('form').send({ _csrf: guestToken })
    expect(res.status).toBe(403)
    expect(res.text).toContain('表单已过期或来源不明')
    expect((await ctx.t.agent().post('/login').type('form').send({ _csrf: 'forged', login: 'alice', password: alice.password })).status).toBe(403)
  })

  it('logout clears the session cookie', async () => {
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const page = await a.get('/settings').expect(200)
    const res = await a.post('/logout').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] as unknown as string[] ?? [])
    const sid = cookies.find((c) => c.startsWith('luntan_sid='))
    expect(sid).toMatch(/^luntan_sid=;/)
    expect(sid).toMatch(/Expires=Thu, 01 Jan 1970/)
  })

  it('marks member responses and pages with a form token private, no-store; guest pages stay cacheable', async () => {
    expect((await ctx.t.agent().get('/login')).headers['cache-control']).toBe('private, no-store')
    expect((await ctx.t.agent().get(`/article/${articleId}`)).headers['cache-control'] ?? '').not.toContain('no-store')
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    for (const url of ['/', `/article/${articleId}`, '/settings', '/forum', '/login', '/no-such-page']) {
      expect([url, (await a.get(url)).headers['cache-control']]).toEqual([url, 'private, no-store'])
    }
  })

  it('sends HSTS only over HTTPS, in Fastify and at the front door', async () => {
    expect((await ctx.t.agent().get('/login')).headers[HSTS]).toBeUndefined()
    // Without a trusted proxy X-Forwarded-Proto is the client's word: still plain HTTP.
    expect((await ctx.t.agent().get('/login').set('X-Forwarded-Proto', 'https')).headers[HSTS]).toBeUndefined()
    const behindProxy = await buildTestApp(ctx.db, { guestCacheMs: 1000, env: { TRUST_PROXY: '127.0.0.1' } })
    try {
      const url = `/article/${articleId}`
      const https = async (): Promise<string | undefined> => (await behindProxy.agent().get(url).set('X-Forwarded-Proto', 'https').expect(200)).headers[HSTS]
      const http = async (): Promise<string | undefined> => (await behindProxy.agent().get(url).set('X-Forwarded-Proto', 'http').expect(200)).headers[HSTS]
      expect(await https()).toMatch(/max-age=\d+/) // rendered by Fastify
      const before = behindProxy.app.guestPages.answered.beforeFastify
      expect(await https()).toMatch(/max-age=\d+/) // the front door's copy
      expect(await http()).toBeUndefined()
      expect(behindProxy.app.guestPages.answered.beforeFastify).toBe(before + 2)
    } finally {
      await behindProxy.close()
    }
  })
})
