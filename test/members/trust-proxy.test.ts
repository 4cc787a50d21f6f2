import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, csrfFrom } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { ConfigError, loadConfig } from '../../src/config'
import { withoutLoginCaptcha } from './_helpers'

describe('TRUST_PROXY takes what Fastify\'s trustProxy takes', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['127.0.0.1', ['127.0.0.1']],
    ['127.0.0.1, 10.0.0.0/8,::1', ['127.0.0.1', '10.0.0.0/8', '::1']],
    ['loopback', ['loopback']]
  ])('%j → %j', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected)
  })

  it.each(['maybe', '10.0.0.300', '127.0.0.1,', '10.0.0.0/99', '-1', '1000'])('refuses %j with a message naming it', (raw) => {
    expect(() => loadConfig({ TRUST_PROXY: raw })).toThrow(ConfigError)
    expect(() => loadConfig({ TRUST_PROXY: raw })).toThrow(/TRUST_PROXY/)
  })
})

// The test client connects from 127.0.0.1: that is "the proxy", which appends the address it saw.
const forms = [['a hop count', '1'], ['the proxy\'s address', '127.0.0.1']] as const

describe.each(dialects)('a spoofed X-Forwarded-For entry behind a trusted proxy on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false, seed: withoutLoginCaptcha })
  let alice: CreatedUser
  let articleId: number
  beforeAll(async () => {
    alice = await createUser(ctx.db.knex, { username: 'alice' })
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: alice.id, views: 0 })
  })

  it.each(forms)('does not escape the IP lockout (TRUST_PROXY as %s)', async (_form, value) => {
    await ctx.db.knex('login_attempts').delete()
    const t = await buildTestApp(ctx.db, { env: { TRUST_PROXY: value } })
    try {
      const attempt = async (forwardedFor: string, login: string, password: string): Promise<number> => {
        const a = t.agent()
        const page = await a.get('/login').set('X-Forwarded-For', forwardedFor)
        return (await a.post('/login').set('X-Forwarded-For', forwardedFor).type('form')
          .send({ _csrf: csrfFrom(page.text), login, password })).status
      }
      // Five failures from 203.0.113.7, each with a different made-up entry in front.
      for (let i = 0; i < 5; i++) expect(await attempt(`10.9.8.${i}, 203.0.113.7`, `nobody${i}`, 'wrong-password')).toBe(400)
      expect(await attempt('10.9.8.77, 203.0.113.7', 'alice', alice.password)).toBe(429)
      // Another client behind the same proxy is not locked.
      expect(await attempt('198.51.100.9', 'alice', alice.password)).toBe(303)
    } finally {
      await t.close()
    }
  })

  /** Hits from one User-Agent, each with a made-up leftmost entry before the real client: the views counted. */
  async function spoofedViews (env: Record<string, string>, guestCacheMs: number): Promise<{ views: number, frontDoor: number }> {
    const t = await buildTestApp(ctx.db, { guestCacheMs, viewFlushIntervalMs: 3_600_000, env })
    try {
      t.clock.advance(3600 * 24) // past the previous app's dedupe window
      const get = async (forwardedFor: string): Promise<void> => {
        await t.agent().get(`/article/${articleId}`).set('User-Agent', 'Mozilla/5.0 (Proxy test) Firefox/120.0').set('X-Forwarded-For', forwardedFor).expect(200)
      }
      await get('10.1.1.1, 203.0.113.7')
      const before = t.app.viewCounts.countedFor('article', articleId)
      const frontDoorBefore = t.app.guestPages.answered.beforeFastify
      for (let i = 2; i < 6; i++) await get(`10.1.1.${i}, 203.0.113.7`)
      return { views: t.app.viewCounts.countedFor('article', articleId) - before, frontDoor: t.app.guestPages.answered.beforeFastify - frontDoorBefore }
    } finally {
      await t.close()
    }
  }

  it.each(forms)('counts one view for one client however it spoofs, in Fastify and at the front door (TRUST_PROXY as %s)', async (_form, value) => {
    expect(await spoofedViews({ TRUST_PROXY: value }, 0)).toEqual({ views: 0, frontDoor: 0 })
    expect(await spoofedViews({ TRUST_PROXY: value }, 1000)).toEqual({ views: 0, frontDoor: 4 })
    // With `true` every hop is trusted, so the made-up entry is the address (why the README warns).
    expect((await spoofedViews({ TRUST_PROXY: 'true' }, 1000)).views).toBe(4)
  })
})
