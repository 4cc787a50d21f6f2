import { ConfigError, loadConfig } from '../../src/config'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

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
