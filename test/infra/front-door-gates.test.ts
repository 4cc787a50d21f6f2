import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { ManualClock } from '../../src/lib/clock'
import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { createArticle, createCategory, createUser } from '../helpers/factories'

/**
 * The front door answers cached guest pages before Fastify, so a global rule (an IP ban, load shedding)
 * must be a gate there too: a refused request goes down the full Fastify path, where the rule's own hook
 * answers. Real HTTP on 127.0.0.1 (app.inject never meets the door), the client address set by
 * X-Forwarded-For behind TRUST_PROXY=127.0.0.1, the way a reverse proxy sends it.
 */
describe.each(dialects)('front door gates, canonical keys and the sampled log on %s', (dialect) => {
  const BANNED = '203.0.113.9'
  let db: TestDatabase
  let app: FastifyInstance
  let base: string
  let articleId: number
  let healthy = true

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.config.client === 'sqlite' ? `sqlite:${db.config.filename}` : db.config.url,
      BCRYPT_COST: '4',
      TRUST_PROXY: '127.0.0.1'
    })
    app = await buildApp(config, {
      clock: new ManualClock(),
      knex: db.knex,
      viewFlushIntervalMs: 3_600_000,
      guestCacheMs: 1000,
      doorLogEvery: 2,
      // Unhealthy on demand: the state under-pressure enters when the event loop lags past its limit.
      // Only this switch: the event-loop limit is off here, so a slow start of a loaded CI machine (the
      // jest process lagging past a second) cannot shed the requests this test expects answered.
      loadShedding: { maxEventLoopDelay: 0, healthCheck: async () => healthy, healthCheckInterval: 20 }
    })
    // A future global rule: its own hook answers inside Fastify, and its gate sends its requests there.
    app.addHook('onRequest', async (request, reply) => {
      if (request.ip === BANNED) return await reply.code(403).type('text/plain; charset=utf-8').send('IP 已被禁止')
    })
    app.guestPages.addGate((visit) => visit.ip !== BANNED)
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const author = await createUser(db.knex)
    articleId = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: author.id, views: 7 })
  })
  afterAll(async () => {
    await app?.close()
    await db?.destroy()
  })

  const get = async (path: string, ip: string, ua = 'Mozilla/5.0 (Gate test) Firefox/120.0'): Promise<Response> =>
    await fetch(base + path, { headers: { 'X-Forwarded-For': ip, 'User-Agent': ua } })

  it('refuses a cached page to a banned address at the door, and answers others from the copy', async () => {
    // renders, and keeps the copy (the body's start shown if not: which 503 it was, when CI saw one)
    const first = await get(`/article/${articleId}`, '198.51.100.1')
    expect({ status: first.status, body: first.status === 200 ? '' : (await first.text()).replace(/\s+/g, ' ').slice(-600) }).toEqual({ status: 200, body: '' })
    const door = app.guestPages.answered.beforeFastify
    expect((await get(`/article/${articleId}`, '198.51.100.2')).status).toBe(200)
    expect(app.guestPages.answered.beforeFastify).toBe(door + 1)
    const refused = app.guestPages.answered.refusedByGate
    const banned = await get(`/article/${articleId}`, BANNED)
    expect(banned.status).toBe(403)
    expect(await banned.text()).toBe('IP 已被禁止')
    expect(app.guestPages.answered.refusedByGate).toBe(refused + 1)
    expect(app.guestPages.answered.beforeFastify).toBe(door + 1)
  })

  it('sends requests to Fastify under pressure, which sheds them with the Chinese 503 and Retry-After', async () => {
    await get(`/article/${articleId}`, '198.51.100.3')
    healthy = false
    try {
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(app.isUnderPressure()).toBe(true)
      const door = app.guestPages.answered.beforeFastify
      const shed = await get(`/article/${articleId}`, '198.51.100.4')
      expect(shed.status).toBe(503)
      expect(shed.headers.get('retry-after')).toBe('10')
      expect(await shed.text()).toContain('服务器繁忙，请稍后再试')
      expect(app.guestPages.answered.beforeFastify).toBe(door)
    } finally {
      healthy = true
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect((await get(`/article/${articleId}`, '198.51.100.5')).status).toBe(200)
  })

  it('answers ?r=<random> from the canonical copy without creating an entry', async () => {
    const canonical = await get(`/article/${articleId}`, '198.51.100.6')
    expect(canonical.status).toBe(200)
    const door = app.guestPages.answered.beforeFastify
    for (let i = 0; i < 3; i++) {
      const busted = await get(`/article/${articleId}?r=${Math.random()}`, `198.51.100.${10 + i}`)
      expect(busted.status).toBe(200)
    }
    expect(app.guestPages.answered.beforeFastify).toBe(door + 3) // all three from the one copy
    // A request only for ?r=… (no copy yet of a page never asked for canonically) renders and keeps nothing.
    await get('/?r=1', '198.51.100.20')
    const before = app.guestPages.answered.beforeFastify
    await get('/?r=2', '198.51.100.21')
    expect(app.guestPages.answered.beforeFastify).toBe(before)
  })

  it('logs one door answer in N at info level with the counts', async () => {
    const info = jest.spyOn(app.log, 'info')
    try {
      await get(`/article/${articleId}`, '198.51.100.30')
      await get(`/article/${articleId}`, '198.51.100.31')
      await get(`/article/${articleId}`, '198.51.100.32')
      const lines = info.mock.calls.filter((call) => call[1] === 'front door answer')
      expect(lines.length).toBeGreaterThanOrEqual(1)
      expect(lines.length).toBeLessThanOrEqual(2)
      expect(lines[0]?.[0]).toMatchObject({ req: { method: 'GET' }, res: { statusCode: 200 }, frontDoor: { sampledOneIn: 2 } })
    } finally {
      info.mockRestore()
    }
  })
})
