import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser } from '../helpers/factories'

describe.each(dialects)('app skeleton on %s', (dialect) => {
  const ctx = useTestApp(dialect)

  it('answers an unknown page with a Chinese 404 page inside the layout', async () => {
    const res = await ctx.t.agent().get('/no-such-page').expect(404)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.text).toContain('抱歉，您访问的页面不存在')
    expect(res.text).toContain('违法和不良信息举报电话')
    expect(res.text).toMatch(/GMT\+8, \d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
  })

  it('serves static files with a long cache', async () => {
    const res = await ctx.t.agent().get('/static/css/luntan.css').expect(200)
    expect(res.headers['cache-control']).toContain('max-age=31536000')
  })

  it('refuses a POST without a CSRF token and logs in with one', async () => {
    const user = await createUser(ctx.db.knex, { username: 'alice' })
    const agent = ctx.t.agent()
    await agent.post('/login').type('form').send({ login: 'alice', password: user.password }).expect(403)
    const page = await agent.get('/login').expect(200)
    await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'alice', password: 'wrong-password' }).expect(400)
    await login(agent, 'alice', user.password)
    const home = await agent.get('/no-such-page')
    expect(home.text).toContain('alice')
    expect(home.text).toContain('退出')
  })
})
