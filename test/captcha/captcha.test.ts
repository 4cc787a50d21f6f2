import { solveChallenge, type Challenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/sha'
import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, LOCAL_CLIENTS_UNLIMITED, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { registration } from '../members/_helpers'
import { postSettings, settingsWith } from '../admin/helpers'
import type supertest from 'supertest'

/** Solves a challenge from the site as the widget does (altcha-lib's own solver); returns the form field's value. */
async function solve (agent: supertest.Agent): Promise<string> {
  const res = await agent.get('/captcha/challenge').expect(200)
  expect(res.headers['cache-control']).toBe('no-store')
  const challenge = res.body as Challenge
  const solution = await solveChallenge({ challenge, deriveKey })
  if (solution === null) throw new Error('no solution')
  return Buffer.from(JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution })).toString('base64')
}

function decode (payload: string): { challenge: Challenge, solution: { counter: number, derivedKey: string } } {
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { challenge: Challenge, solution: { counter: number, derivedKey: string } }
}
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')

describe.each(dialects)('captcha on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })

  async function register (agent: supertest.Agent, captcha: Record<string, string>): Promise<{ res: supertest.Response, username: string }> {
    const page = await agent.get('/register').expect(200)
    const fields = registration()
    const res = await agent.post('/register').type('form').send({ _csrf: csrfFrom(page.text), ...fields, ...captcha })
    return { res, username: fields.username }
  }
  const users = async (username: string): Promise<number> => await countRows(ctx.db.knex, 'users', { username })

  it('shows the widget and the no-JavaScript question on the registration form, and serves the widget itself', async () => {
    const page = await ctx.t.agent().get('/register').expect(200)
    expect(page.text).toContain('<altcha-widget challenge="/captcha/challenge"')
    expect(page.text).toMatch(/<noscript>[\s\S]*请输入“论坛”两个字的拼音[\s\S]*name="captcha_answer"/)
    const script = /<script type="module" src="([^"]+)"/.exec(page.text)?.[1] ?? ''
    const js = await ctx.t.agent().get(script).expect(200)
    expect(js.headers['content-type']).toMatch(/javascript/)
    expect(js.text).toContain('altcha-widget')
  })

  it('registers with a solved challenge, and refuses the same solution a second time (replay)', async () => {
    const payload = await solve(ctx.t.agent())
    const first = await register(ctx.t.agent(), { altcha: payload })
    expect(first.res.status).toBe(303)
    expect(await users(first.username)).toBe(1)
    const replay = await register(ctx.t.agent(), { altcha: payload })
    expect(replay.res.status).toBe(400)
    expect(replay.res.text).toContain('验证未通过')
    expect(await users(replay.username)).toBe(0)
  })

  it('refuses forged solutions: a wrong counter, a changed challenge, a self-made signature, junk', async () => {
    const payload = decode(await solve(ctx.t.agent()))
    const forgeries = [
      encode({ ...payload, solution: { ...payload.solution, counter: payload.solution.counter + 1 } }),
      // An easier challenge (a shorter prefix) under the original signature.
      encode({ ...payload, challenge: { ...payload.challenge, parameters: { ...payload.challenge.parameters, keyPrefix: '00' } } }),
      encode({ ...payload, challenge: { ...payload.challenge, signature: 'a'.repeat(64) } }),
      encode({ ...payload, challenge: { parameters: payload.challenge.parameters } }),
      'not-base64-json',
      ''
    ]
    for (const altcha of forgeries) {
      const { res, username } = await register(ctx.t.agent(), { altcha })
      expect(res.status).toBe(400)
      expect(await users(username)).toBe(0)
    }
    // The genuine one still works (the forgeries did not spend it).
    expect((await register(ctx.t.agent(), { altcha: encode(payload) })).res.status).toBe(303)
  })

  it('keeps a bot without the captcha out: no field, a wrong answer; the admin\'s answer passes (NFKC, case)', async () => {
    const bot = await register(ctx.t.agent(), {})
    expect(bot.res.status).toBe(400)
    expect(bot.res.text).toContain('请完成验证')
    expect(await users(bot.username)).toBe(0)
    const wrong = await register(ctx.t.agent(), { captcha_answer: 'lun tan' })
    expect(wrong.res.status).toBe(400)
    expect(wrong.res.text).toContain('验证问题的答案不正确')
    expect(await users(wrong.username)).toBe(0)
    const human = await register(ctx.t.agent(), { captcha_answer: ' ＬＵＮＴＡＮ ' })
    expect(human.res.status).toBe(303)
    expect(await users(human.username)).toBe(1)
  })

  it('asks for the captcha at login after 3 failures, and lets the right password in with it', async () => {
    const member: CreatedUser = await createUser(ctx.db.knex, { username: 'forgetful' })
    const agent = ctx.t.agent()
    const post = async (password: string, captcha: Record<string, string> = {}): Promise<supertest.Response> => {
      const page = await agent.get('/login')
      return await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: member.username, password, ...captcha })
    }
    expect((await agent.get('/login')).text).not.toContain('altcha-widget')
    for (let i = 0; i < 3; i++) expect((await post('wrong-password')).status).toBe(400)
    const page = await agent.get('/login')
    expect(page.text).toContain('altcha-widget')
    const without = await post(member.password)
    expect(without.status).toBe(400)
    expect(without.text).toContain('请完成验证')
    const ok = await post(member.password, { altcha: await solve(agent) })
    expect(ok.status).toBe(303)
  })

  it('asks guests for it on comments when guests may comment', async () => {
    const author = await createUser(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, publishedAt: ctx.t.clock.now() - 60 })
    await ctx.t.app.settings.set('guest_comments', '1')
    const guest = ctx.t.agent()
    const page = await guest.get(`/article/${aid}`).expect(200)
    expect(page.text).toContain('altcha-widget')
    const send = async (captcha: Record<string, string>): Promise<supertest.Response> =>
      await guest.post(`/article/${aid}/comments`).type('form').send({ _csrf: csrfFrom(page.text), message: '游客的评论', ...captcha })
    const refused = await send({})
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('请完成验证')
    expect(await countRows(ctx.db.knex, 'comments', { article_id: aid })).toBe(0)
    expect((await send({ altcha: await solve(guest) })).status).toBe(303)
    expect(await countRows(ctx.db.knex, 'comments', { article_id: aid })).toBe(1)
    // Turned off by the admin: no widget, no check.
    await ctx.t.app.settings.set('captcha_guest_comments', '0')
    expect((await guest.get(`/article/${aid}`)).text).not.toContain('altcha-widget')
    expect((await send({})).status).toBe(303)
  })

  it('takes the no-JavaScript question the admin sets in 站点设置: shown on the form, the new answer passes, the old one is refused', async () => {
    const admin = await createUser(ctx.db.knex, { role: 'admin' })
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const saved = await postSettings(agent, settingsWith({ captcha_register: '1', captcha_question: '本站所在的城市叫什么（两个汉字）？', captcha_answer: '汕头' }))
    expect(saved.status).toBe(303)
    expect(saved.headers.location).toBe('/admin/settings?saved=1')

    const page = await ctx.t.agent().get('/register').expect(200)
    expect(page.text).toMatch(/<noscript>[\s\S]*本站所在的城市叫什么（两个汉字）？[\s\S]*name="captcha_answer"/)
    expect(page.text).not.toContain('请输入“论坛”两个字的拼音')
    const old = await register(ctx.t.agent(), { captcha_answer: 'luntan' })
    expect(old.res.status).toBe(400)
    expect(old.res.text).toContain('验证问题的答案不正确')
    expect(await users(old.username)).toBe(0)
    const human = await register(ctx.t.agent(), { captcha_answer: '汕头' })
    expect(human.res.status).toBe(303)
    expect(await users(human.username)).toBe(1)
  })
})
