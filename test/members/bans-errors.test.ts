import supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, banUser } from '../helpers/factories'

describe.each(dialects)('bans and error pages on %s', (dialect) => {
  // Routes that exist only in this test app: a write action and a crash.
  const ctx = useTestApp(dialect, {
    app: {
      routes: (app) => {
        app.post('/test/write', async (request) => {
          app.requirePermission(request, { action: 'write' })
          return { ok: true }
        })
        app.get('/test/crash', async () => {
          throw new Error('secret internal detail /srv/luntan/src/x.ts')
        })
      }
    }
  })
  const agent = (): supertest.Agent => ctx.t.agent()

  it('shows a 500 page with a request id and no stack or message', async () => {
    const res = await agent().get('/test/crash').expect(500)
    expect(res.text).toContain('抱歉，系统遇到了问题')
    expect(res.text).toMatch(/请求编号：[a-z0-9]+/)
    expect(res.text).not.toContain('secret internal detail')
    expect(res.text).not.toMatch(/at .*\.ts:\d+/)
    const json = await agent().get('/test/crash').set('Accept', 'application/json').expect(500)
    expect(JSON.stringify(json.body)).not.toContain('secret')
  })

  it('lets a post-banned member read and log in, but not write', async () => {
    const u = await createUser(ctx.db.knex, { username: 'muted' })
    await banUser(ctx.db.knex, u.id, { type: 'post', until: ctx.t.clock.now() + 86400, reason: '人身攻击' })
    const a = await login(agent(), 'muted', u.password)
    const profile = await a.get(`/user/${u.id}`).expect(200)
    expect(profile.text).toContain('禁止发言')
    const token = csrfFrom((await a.get('/settings').expect(200)).text)
    const res = await a.post('/test/write').type('form').send({ _csrf: token }).expect(403)
    expect(res.text).toContain('抱歉，您已被禁止发言')
    expect(res.text).toContain('人身攻击')
    // A member without a ban may write; a guest is asked to log in.
    const ok = await createUser(ctx.db.knex, { username: 'talker' })
    const b = await login(agent(), 'talker', ok.password)
    const tb = csrfFrom((await b.get('/settings')).text)
    await b.post('/test/write').type('form').send({ _csrf: tb }).expect(200)
  })

  it('shows a visit-banned member only the 403 page with reason and expiry, until it expires', async () => {
    const u = await createUser(ctx.db.knex, { username: 'exiled' })
    const a = await login(agent(), 'exiled', u.password)
    const until = ctx.t.clock.now() + 7200
    await banUser(ctx.db.knex, u.id, { type: 'visit', until, reason: '发布广告' })
    for (const path of [`/user/${u.id}`, '/settings', '/register', '/no-such-page', '/loginx']) {
      const res = await a.get(path)
      expect(res.status).toBe(403)
      expect(res.text).toContain('抱歉，您已被禁止访问')
      expect(res.text).toContain('发布广告')
      expect(res.text).toMatch(/过期时间：\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
    }
    ctx.t.clock.advance(7201)
    expect((await a.get(`/user/${u.id}`)).status).toBe(200)
  })

  it('lets a visit-banned member log out', async () => {
    const u = await createUser(ctx.db.knex, { username: 'exiled2' })
    const a = await login(agent(), 'exiled2', u.password)
    const token = csrfFrom((await a.get('/settings')).text)
    await banUser(ctx.db.knex, u.id, { type: 'visit', until: null, reason: '永久封禁' })
    expect((await a.get('/settings')).text).toContain('永不过期')
    await a.post('/logout').type('form').send({ _csrf: token }).expect(303)
    // Now a guest: pages are readable again.
    expect((await a.get(`/user/${u.id}`)).status).toBe(200)
  })

  it('sends CSP and other security headers, and the pages carry no inline script', async () => {
    const res = await agent().get('/register').expect(200)
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(res.text).not.toMatch(/\son[a-z]+="/)
  })
})
