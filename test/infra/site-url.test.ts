import { ConfigError, loadConfig } from '../../src/config'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { csrfFrom, login } from '../helpers/app'
import { startTestSmtp, linkIn, recipient, type TestSmtp } from '../helpers/smtp'
import { postSettings, settingsWith } from '../admin/helpers'

const SECRET = 'a-production-secret-of-at-least-32-characters'

describe('SITE_URL in the configuration', () => {
  it('is required in production, with a message naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: SECRET })).toThrow(ConfigError)
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: SECRET })).toThrow(/SITE_URL is required/)
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: SECRET, SITE_URL: 'https://bbs.example.com' }).siteUrl).toBe('https://bbs.example.com')
  })

  it('is optional in development and test (the request\'s origin stands in)', () => {
    expect(loadConfig({}).siteUrl).toBeNull()
    expect(loadConfig({ NODE_ENV: 'test' }).siteUrl).toBeNull()
  })

  it.each([
    'bbs.example.com',
    '/forum',
    'ftp://bbs.example.com',
    'javascript:alert(1)',
    'https://bbs.example.com/?from=x',
    'https://bbs.example.com/#top',
    'https://user:pass@bbs.example.com'
  ])('rejects %s', (value) => {
    expect(() => loadConfig({ SITE_URL: value })).toThrow(ConfigError)
    expect(() => loadConfig({ SITE_URL: value })).toThrow(/SITE_URL/)
  })

  it('keeps a path and drops a trailing slash', () => {
    expect(loadConfig({ SITE_URL: 'https://example.com/bbs/' }).siteUrl).toBe('https://example.com/bbs')
    expect(loadConfig({ SITE_URL: 'http://127.0.0.1:3000/' }).siteUrl).toBe('http://127.0.0.1:3000')
  })
})

describe.each(dialects)('sitemap.xml and robots.txt use SITE_URL, not the Host header, on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: { SITE_URL: 'https://bbs.example.com' } } })
  let articleId: number

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id })
  })

  it('ignores a spoofed Host in robots.txt', async () => {
    const res = await ctx.t.agent().get('/robots.txt').set('Host', 'evil.example.net').expect(200)
    expect(res.text).toContain('Sitemap: https://bbs.example.com/sitemap.xml')
    expect(res.text).not.toContain('evil.example.net')
  })

  it('ignores a spoofed Host (and X-Forwarded-Host) in sitemap.xml', async () => {
    const res = await ctx.t.agent().get('/sitemap.xml').set('Host', 'evil.example.net').set('X-Forwarded-Host', 'evil2.example.net').expect(200)
    expect(res.text).toContain(`<loc>https://bbs.example.com/article/${articleId}</loc>`)
    expect(res.text).not.toContain('evil')
  })
})

describe.each(dialects)('站点网址 (set at /admin/settings) outranks SITE_URL on %s', (dialect) => {
  let smtp: TestSmtp
  // Before useTestApp's own beforeAll: the app is built with the server's address.
  beforeAll(async () => { smtp = await startTestSmtp() })
  afterAll(async () => { await smtp.close() })
  const ctx = useTestApp(dialect, { app: () => ({ env: { SITE_URL: 'https://env.example.com', SMTP_URL: smtp.url } }) })
  let articleId: number
  let n = 0

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id })
  })

  /** The origin of the reset link mailed for a fresh member's address. */
  async function resetLinkOrigin (): Promise<string> {
    n++
    const email = `siteurl${n}@example.com`
    await createUser(ctx.db.knex, { username: `siteurl${n}`, email })
    const browser = ctx.t.agent()
    const page = await browser.get('/password/forgot').expect(200)
    await browser.post('/password/forgot').type('form').send({ _csrf: csrfFrom(page.text), email }).expect(303)
    const mails = await smtp.waitFor(smtp.received.length + 1)
    const mail = mails.filter((m) => recipient(m) === email).at(-1)
    if (mail === undefined) throw new Error(`no mail to ${email}`)
    return new URL(linkIn(mail, '/password/reset/')).origin
  }

  it('builds sitemap.xml, robots.txt and the password-reset link on the setting, on every process within a second; blank goes back to SITE_URL', async () => {
    const second = await ctx.secondApp()
    try {
      expect((await second.agent().get('/robots.txt').expect(200)).text).toContain('Sitemap: https://env.example.com/sitemap.xml')
      expect(await resetLinkOrigin()).toBe('https://env.example.com')

      const admin = await createUser(ctx.db.knex, { role: 'admin' })
      const agent = await login(ctx.t.agent(), admin.username, admin.password)
      // A trailing slash as an owner might type it: links must not get a double slash.
      expect((await postSettings(agent, settingsWith({ site_url: 'https://www.haojiang.example/' }))).status).toBe(303)

      const robots = await ctx.t.agent().get('/robots.txt').set('Host', 'evil.example.net').expect(200)
      expect(robots.text).toContain('Sitemap: https://www.haojiang.example/sitemap.xml')
      const sitemap = await ctx.t.agent().get('/sitemap.xml').expect(200)
      expect(sitemap.text).toContain(`<loc>https://www.haojiang.example/article/${articleId}</loc>`)
      expect(sitemap.text).not.toContain('env.example.com')
      expect(await resetLinkOrigin()).toBe('https://www.haojiang.example')

      // The other process: its cached settings until the one-second window ends, then the new address.
      expect((await second.agent().get('/robots.txt').expect(200)).text).toContain('https://env.example.com/')
      ctx.t.clock.advance(1.1)
      expect((await second.agent().get('/robots.txt').expect(200)).text).toContain('Sitemap: https://www.haojiang.example/sitemap.xml')

      // Blank: SITE_URL again.
      expect((await postSettings(agent, settingsWith({ site_url: '' }))).status).toBe(303)
      expect((await ctx.t.agent().get('/robots.txt').expect(200)).text).toContain('Sitemap: https://env.example.com/sitemap.xml')
      expect(await resetLinkOrigin()).toBe('https://env.example.com')
    } finally {
      await second.close()
    }
  })
})
