import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { safeReturnPath } from '../../src/features/members/routes'
import { registration } from './_helpers'

describe('safeReturnPath encodes what a Location header cannot carry', () => {
  it.each([
    ['/forum?q=你', '/forum?q=%E4%BD%A0'],
    ['/%E4%BD%A0', '/%E4%BD%A0'],
    ['/a b', '/a%20b'],
    ['/😀', '/%F0%9F%98%80'],
    ['/\ud800x', '/']
  ])('%j → %j', (raw, expected) => {
    expect(safeReturnPath(raw)).toBe(expected)
  })
})

describe.each(dialects)('non-ASCII return paths and error pages on %s', (dialect) => {
  const ctx = useTestApp(dialect, { perTest: true })
  let alice: CreatedUser
  beforeAll(async () => {
    alice = await createUser(ctx.db.knex, { username: 'Alice', email: 'alice@example.com' })
  })

  it('logs in with return=/forum?q=你 and redirects to the encoded path', async () => {
    const a = ctx.t.agent()
    const page = await a.get('/login').expect(200)
    const res = await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'alice', password: alice.password, return: '/forum?q=你' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/forum?q=%E4%BD%A0')
    expect((await a.get('/settings')).status).toBe(200)
  })

  it('registers with a non-ASCII return and redirects (no 500)', async () => {
    const a = ctx.t.agent()
    const page = await a.get('/register').expect(200)
    const res = await a.post('/register').type('form').send({ _csrf: csrfFrom(page.text), captcha_answer: 'luntan', ...registration({ return: '/forum?q=你好' }) })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/forum?q=%E4%BD%A0%E5%A5%BD')
  })

  it('GET /login?return=/%E4%BD%A0 while logged in redirects', async () => {
    const a = await login(ctx.t.agent(), 'alice', alice.password)
    const res = await a.get('/login?return=/%E4%BD%A0')
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/%E4%BD%A0')
  })

  it('a malformed URL gets the Chinese error page, not Fastify\'s JSON', async () => {
    const res = await ctx.t.agent().get('/forum/%E4').set('Accept', 'text/html')
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.text).toContain('请求有误')
  })
})

describe.each(dialects)('errors from headers, hooks and the error handler itself on %s', (dialect) => {
  const ctx = useTestApp(dialect, {
    app: {
      routes: (app) => {
        // A header Node refuses when the answer is written (what a raw non-ASCII Location did).
        app.get('/test/bad-header', async (_request, reply) => await reply.header('x-test', '你').send('ok'))
        // An error thrown in a hook.
        app.get('/test/hook', { onRequest: async () => { throw new Error('hook failed') } }, async () => 'never')
        // An error whose reading makes the error handler itself throw.
        app.get('/test/handler', async () => {
          const err = new Error('strange')
          Object.defineProperty(err, 'validation', { get () { throw new Error('getter failed') } })
          throw err
        })
      }
    }
  })

  it('answers with the site\'s page whatever fails', async () => {
    for (const url of ['/test/bad-header', '/test/hook', '/test/handler']) {
      const html = await ctx.t.app.inject({ url, headers: { accept: 'text/html' } })
      expect([url, html.statusCode]).toEqual([url, 500])
      expect(html.headers['content-type']).toMatch(/^text\/html/)
      expect(html.body).toContain('抱歉，系统遇到了问题')
      expect(html.body).not.toContain('Internal Server Error')
      const json = await ctx.t.app.inject({ url, headers: { accept: 'application/json' } })
      expect(json.statusCode).toBe(500)
      expect(json.json()).toMatchObject({ error: '抱歉，系统遇到了问题，请稍后再试', statusCode: 500 })
    }
  })
})
