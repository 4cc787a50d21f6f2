import bcrypt from 'bcrypt'
import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { withoutLoginCaptcha } from './_helpers'

describe.each(dialects)('login lockout under parallel attempts on %s', (dialect) => {
  // A fresh app per test, and a second process on its own connection pool: the limit holds across processes.
  const ctx = useTestApp(dialect, { perTest: true, second: true, seed: withoutLoginCaptcha })
  let bob: CreatedUser
  beforeAll(async () => {
    bob = await createUser(ctx.db.knex, { username: 'bob' })
  })
  beforeEach(async () => {
    await ctx.db.knex('login_attempts').delete()
  })
  afterEach(() => { jest.restoreAllMocks() })

  /** 20 browsers each open the form, then all post at once (half to each process). */
  async function parallelAttempts (logins: string[]): Promise<number[]> {
    const forms = await Promise.all(logins.map(async (login, i) => {
      const agent = (i % 2 === 0 ? ctx.t : ctx.t2).agent()
      const page = await agent.get('/login').expect(200)
      return { agent, login, csrf: csrfFrom(page.text) }
    }))
    const results = await Promise.all(forms.map(async (f) =>
      await f.agent.post('/login').type('form').send({ _csrf: f.csrf, login: f.login, password: 'wrong-password' })))
    for (const r of results) if (r.status === 429) expect(r.text).toContain('密码错误次数过多，请 15 分钟后重新登录')
    return results.map((r) => r.status)
  }

  it('lets at most 5 of 20 parallel wrong passwords for one account reach bcrypt', async () => {
    const compare = jest.spyOn(bcrypt, 'compare')
    const statuses = await parallelAttempts(Array.from({ length: 20 }, () => 'bob'))
    expect(compare.mock.calls.length).toBeLessThanOrEqual(5)
    expect(statuses.filter((s) => s === 400).length).toBe(compare.mock.calls.length)
    expect(statuses.filter((s) => s === 429).length).toBe(20 - compare.mock.calls.length)
    // Only the attempts that were checked are kept as failures.
    expect(await countRows(ctx.db.knex, 'login_attempts')).toBe(compare.mock.calls.length)
    // Refused attempts are not failures: sequential ones still reach bcrypt until exactly 5 have, then
    // the account is locked, for the right password too.
    let status = 0
    for (let i = 0; i < 6 && status !== 429; i++) {
      const a = ctx.t.agent()
      const page = await a.get('/login')
      status = (await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'bob', password: 'wrong-password' })).status
    }
    expect(status).toBe(429)
    expect(compare.mock.calls.length).toBe(5)
    const a = ctx.t.agent()
    const page = await a.get('/login')
    expect((await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'bob', password: bob.password })).status).toBe(429)
  })

  it('lets at most 5 of 20 parallel wrong logins from one IP (different names) reach bcrypt', async () => {
    const compare = jest.spyOn(bcrypt, 'compare')
    const statuses = await parallelAttempts(Array.from({ length: 20 }, (_, i) => `nobody${i}`))
    expect(compare.mock.calls.length).toBeLessThanOrEqual(5)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15)
  })

  it('lets 8 members behind one address log in at the same moment (in-flight attempts are waited for, not refused)', async () => {
    const members = await Promise.all(Array.from({ length: 8 }, async (_, i) => await createUser(ctx.db.knex, { username: `nat${i}` })))
    const forms = await Promise.all(members.map(async (m, i) => {
      const agent = (i % 2 === 0 ? ctx.t : ctx.t2).agent()
      const page = await agent.get('/login').expect(200)
      return { agent, m, csrf: csrfFrom(page.text) }
    }))
    const results = await Promise.all(forms.map(async (f) =>
      await f.agent.post('/login').type('form').send({ _csrf: f.csrf, login: f.m.username, password: f.m.password })))
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => 303))
    expect(await countRows(ctx.db.knex, 'login_attempts')).toBe(0)
  })
})
