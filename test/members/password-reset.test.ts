import crypto from 'node:crypto'
import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { startTestSmtp, linkIn, recipient, type TestSmtp } from '../helpers/smtp'
import { RESET_PER_ADDRESS_PER_HOUR, RESET_TTL_SECONDS } from '../../src/features/members/account-links'
import type supertest from 'supertest'

/** 找回密码 end to end: the mail really goes through an SMTP server (smtp-server) and is read back (mailparser). */
describe.each(dialects)('password reset through SMTP on %s', (dialect) => {
  let smtp: TestSmtp
  // Before useTestApp's own beforeAll: the app is built with the server's address.
  beforeAll(async () => { smtp = await startTestSmtp() })
  afterAll(async () => { await smtp.close() })
  const ctx = useTestApp(dialect, { perTest: true, app: () => ({ env: { SMTP_URL: smtp.url } }) })
  let n = 0
  let member: CreatedUser
  let email: string
  beforeEach(async () => {
    smtp.received.length = 0
    n++
    email = `reset${n}@example.com`
    member = await createUser(ctx.db.knex, { username: `reset${n}`, email })
  })

  async function requestReset (agent: supertest.Agent, address: string): Promise<supertest.Response> {
    const page = await agent.get('/password/forgot').expect(200)
    return await agent.post('/password/forgot').type('form').send({ _csrf: csrfFrom(page.text), email: address })
  }

  /** The path of the reset link in the newest mail to `address`. */
  async function resetPath (address: string, count: number): Promise<string> {
    const mails = await smtp.waitFor(count)
    const mail = mails.filter((m) => recipient(m) === address).at(-1)
    if (mail === undefined) throw new Error(`no mail to ${address}`)
    expect(mail.subject).toMatch(/重设密码/)
    return new URL(linkIn(mail, '/password/reset/')).pathname
  }

  async function setPassword (agent: supertest.Agent, path: string, password: string): Promise<supertest.Response> {
    const page = await agent.get(path)
    // The form's token, or (the link refused) any token of this browser's, so the refusal is the link's.
    const token = page.status === 200 ? csrfFrom(page.text) : csrfFrom((await agent.get('/password/forgot')).text)
    return await agent.post(path).type('form').send({ _csrf: token, password, password2: password })
  }

  it('mails a single-use link that sets a new password, ends every other session and logs the member in', async () => {
    const elsewhere = await login(ctx.t.agent(), member.username, member.password)
    await elsewhere.get('/settings').expect(200)

    const browser = ctx.t.agent()
    const res = await requestReset(browser, email)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/password/forgot?sent=1')
    expect((await browser.get('/password/forgot?sent=1')).text).toContain('如果该 Email 地址已注册')
    const path = await resetPath(email, 1)
    // Only a hash of the token is stored.
    const token = path.split('/').at(-1) ?? ''
    expect(await countRows(ctx.db.knex, 'account_tokens', { token_hash: token })).toBe(0)
    expect(await countRows(ctx.db.knex, 'account_tokens', { token_hash: crypto.createHash('sha256').update(token).digest('hex') })).toBe(1)

    expect((await browser.get(path)).text).toContain('设置新密码')
    const set = await setPassword(browser, path, 'brand-new-pass-1')
    expect(set.status).toBe(303)
    expect(set.headers.location).toBe('/settings')
    const settings = await browser.get('/settings').expect(200)
    expect(settings.text).toContain('密码已重设，您已登录')
    // The other browser's session is gone; the old password no longer works, the new one does.
    expect((await elsewhere.get('/settings')).status).toBe(303)
    await expect(login(ctx.t.agent(), member.username, member.password)).rejects.toThrow(/failed with 400/)
    await login(ctx.t.agent(), member.username, 'brand-new-pass-1')

    // Used once: the link is refused now, by GET and by POST, and the password stays.
    const again = await ctx.t.agent().get(path)
    expect(again.status).toBe(400)
    expect(again.text).toContain('链接无效或已过期')
    expect((await setPassword(ctx.t.agent(), path, 'third-pass-123')).status).toBe(400)
    await login(ctx.t.agent(), member.username, 'brand-new-pass-1')
  })

  it('answers the same for an address nobody registered, and mails nothing', async () => {
    const known = await requestReset(ctx.t.agent(), email)
    const unknown = await requestReset(ctx.t.agent(), `nobody${n}@example.com`)
    expect(unknown.status).toBe(known.status)
    expect(unknown.headers.location).toBe(known.headers.location)
    await smtp.waitFor(1)
    await ctx.t.app.mail.deliverDue()
    expect(smtp.received.map(recipient)).toEqual([email])
    expect(await countRows(ctx.db.knex, 'mail_outbox', { to_address: `nobody${n}@example.com` })).toBe(0)
  })

  it('refuses an expired link (30 minutes), and a forged one', async () => {
    await requestReset(ctx.t.agent(), email)
    const path = await resetPath(email, 1)
    ctx.t.clock.advance(RESET_TTL_SECONDS + 1)
    expect((await ctx.t.agent().get(path)).status).toBe(400)
    expect((await setPassword(ctx.t.agent(), path, 'late-pass-1234')).status).toBe(400)
    // A token of the right shape that was never issued, and junk.
    const forged = `/password/reset/${crypto.randomBytes(32).toString('base64url')}`
    expect((await ctx.t.agent().get(forged)).status).toBe(400)
    expect((await setPassword(ctx.t.agent(), forged, 'forged-pass-1')).status).toBe(400)
    expect((await ctx.t.agent().get('/password/reset/abc')).status).toBe(400)
    await login(ctx.t.agent(), member.username, member.password)
  })

  it('keeps the link usable when the new password is refused, with the reason in Chinese', async () => {
    await requestReset(ctx.t.agent(), email)
    const path = await resetPath(email, 1)
    const agent = ctx.t.agent()
    const page = await agent.get(path).expect(200)
    const bad = await agent.post(path).type('form').send({ _csrf: csrfFrom(page.text), password: 'short', password2: 'short' })
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/密码/)
    expect((await setPassword(agent, path, 'long-enough-1')).status).toBe(303)
  })

  it('sends at most 3 reset mails an hour to one address, and limits one client address', async () => {
    const agent = ctx.t.agent()
    for (let i = 0; i < RESET_PER_ADDRESS_PER_HOUR + 1; i++) expect((await requestReset(agent, email)).status).toBe(303)
    expect(await countRows(ctx.db.knex, 'mail_outbox', { to_address: email })).toBe(RESET_PER_ADDRESS_PER_HOUR)
    // The 5-a-quarter-hour limit per client address (this test's 5th and 6th requests).
    expect((await requestReset(agent, `other${n}@example.com`)).status).toBe(303)
    expect((await requestReset(agent, `other${n}@example.com`)).status).toBe(429)
    await smtp.waitFor(RESET_PER_ADDRESS_PER_HOUR)
    await ctx.t.app.mail.deliverDue()
  })

  it('links 找回密码 from the login page', async () => {
    const page = await ctx.t.agent().get('/login').expect(200)
    expect(page.text).toContain('<a href="/password/forgot">找回密码</a>')
  })
})
