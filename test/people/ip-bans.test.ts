import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import supertest from 'supertest'
import { buildApp } from '../../src/app'
import { ManualClock } from '../../src/lib/clock'
import { IP_BAN_RELOAD_MS } from '../../src/features/ip-bans/service'
import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { csrfToken, LOCAL_CLIENTS_UNLIMITED, login, testConfig } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'

/**
 * 禁止 IP over real HTTP on 127.0.0.1 (app.inject never meets the front door that answers cached guest
 * pages), the client address set by X-Forwarded-For behind TRUST_PROXY=127.0.0.1 as a reverse proxy sends it.
 */
describe.each(dialects)('禁止 IP on %s', (dialect) => {
  let db: TestDatabase
  let app: FastifyInstance
  let base: string
  let articleId: number
  let admin: CreatedUser
  const clock = new ManualClock()
  const config = (): ReturnType<typeof testConfig> => testConfig(db, { TRUST_PROXY: '127.0.0.1', ...LOCAL_CLIENTS_UNLIMITED })

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    app = await buildApp(config(), { clock, knex: db.knex, viewFlushIntervalMs: 3_600_000, guestCacheMs: 1000 })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    admin = await createUser(db.knex, { role: 'admin' })
    articleId = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: admin.id })
  })
  afterAll(async () => {
    await app?.close()
    await db?.destroy()
  })

  const get = async (path: string, ip: string): Promise<Response> =>
    await fetch(base + path, { headers: { 'X-Forwarded-For': ip, 'User-Agent': 'Mozilla/5.0 (IP ban test) Firefox/120.0' } })
  const adminAgent = async (): Promise<supertest.Agent> => await login(supertest.agent(app.server), admin.username, admin.password)
  const addBan = async (agent: supertest.Agent, fields: Record<string, string>): Promise<supertest.Response> =>
    await agent.post('/admin/ip-bans').type('form').send({ _csrf: await csrfToken(agent, '/admin/ip-bans'), duration: 'forever', reason: '恶意刷帖', ...fields })

  it('refuses a banned range on every page, cached guest pages included, with the Chinese 403; static files stay served', async () => {
    const agent = await adminAgent()
    expect((await get(`/article/${articleId}`, '203.0.113.9')).status).toBe(200) // not banned yet
    expect((await get(`/article/${articleId}`, '198.51.100.1')).status).toBe(200) // the copy is kept
    const res = await addBan(agent, { range: '203.0.113.0/24' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/admin/ip-bans?done=added')

    const door = app.guestPages.answered.beforeFastify
    expect((await get(`/article/${articleId}`, '198.51.100.2')).status).toBe(200)
    expect(app.guestPages.answered.beforeFastify).toBe(door + 1) // others still get the copy at the door
    const refusedByGate = app.guestPages.answered.refusedByGate
    const banned = await get(`/article/${articleId}`, '203.0.113.77')
    expect(banned.status).toBe(403)
    const html = await banned.text()
    expect(html).toContain('您的 IP 已被禁止访问')
    expect(app.guestPages.answered.refusedByGate).toBe(refusedByGate + 1)
    for (const path of ['/', '/login', '/forum', '/admin']) expect({ path, status: (await get(path, '203.0.113.1')).status }).toEqual({ path, status: 403 })
    const post = await fetch(base + '/login', { method: 'POST', headers: { 'X-Forwarded-For': '203.0.113.1', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'login=a&password=b' })
    expect(post.status).toBe(403)
    expect((await get('/static/css/admin.css', '203.0.113.1')).status).toBe(200)
    expect((await get(`/article/${articleId}`, '203.0.114.1')).status).toBe(200)

    const list = await agent.get('/admin/ip-bans?done=added').expect(200)
    expect(list.text).toContain('203.0.113.0/24')
    expect(list.text).toContain('恶意刷帖')
    const audit = await db.knex('moderation_log').where({ action: 'ip_ban_add' }).first('actor_id', 'before_state', 'after_state')
    expect(audit).toMatchObject({ actor_id: admin.id, before_state: 'null' })
    expect(JSON.parse(String(audit?.after_state))).toEqual({ range: '203.0.113.0/24', expires_at: null })
  })

  it('bans IPv6 ranges too, and lifting a ban lets the address back in at once', async () => {
    const agent = await adminAgent()
    expect((await addBan(agent, { range: '2001:db8:77::/48' })).status).toBe(303)
    expect((await get('/', '2001:db8:77::5')).status).toBe(403)
    expect((await get('/', '2001:db8:78::5')).status).toBe(200)
    const row = await db.knex('ip_bans').where({ range: '2001:db8:77::/48' }).first('id')
    const lifted = await agent.post(`/admin/ip-bans/${String(row?.id)}/delete`).type('form').send({ _csrf: await csrfToken(agent, '/admin/ip-bans') })
    expect(lifted.status).toBe(303)
    expect((await get('/', '2001:db8:77::5')).status).toBe(200)
    const audit = await db.knex('moderation_log').where({ action: 'ip_ban_remove' }).first('before_state', 'after_state')
    expect(JSON.parse(String(audit?.before_state))).toMatchObject({ range: '2001:db8:77::/48' })
    expect(audit?.after_state).toBe('null')
  })

  it('refuses, with Chinese messages and nothing stored, a bad range, a duplicate, a missing reason, and the admin\'s own address', async () => {
    const agent = await adminAgent()
    const count = async (): Promise<number> => Number((await db.knex('ip_bans').count({ n: '*' }).first())?.n)
    const auditCount = async (): Promise<number> => Number((await db.knex('moderation_log').count({ n: '*' }).first())?.n)
    const before = { bans: await count(), audit: await auditCount() }
    const cases: Array<[Record<string, string>, string]> = [
      [{ range: '203.0.113' }, 'IP 地址或网段格式不正确'],
      [{ range: '1.0.0.0/4' }, '网段掩码位数不正确'],
      [{ range: '203.0.113.0/24' }, '该 IP 地址或网段已在禁止列表中'],
      [{ range: '192.0.2.1', reason: '' }, '禁止理由必须为 2 到 200 个字符'],
      [{ range: '192.0.2.1', duration: '9999' }, '请选择禁止期限'],
      // The admin's own client is 127.0.0.1 here (supertest, no X-Forwarded-For).
      [{ range: '127.0.0.0/8' }, '不能禁止您自己当前的 IP 地址'],
      [{ range: '::ffff:127.0.0.1' }, '不能禁止您自己当前的 IP 地址']
    ]
    for (const [fields, message] of cases) {
      const res = await addBan(agent, fields)
      expect({ fields, status: res.status }).toEqual({ fields, status: 400 })
      expect(res.text).toContain(message)
    }
    expect({ bans: await count(), audit: await auditCount() }).toEqual(before)
  })

  it('shows a ban made on another process there within the reload interval, and an expired ban stops by itself', async () => {
    const second = await buildApp(config(), { clock, knex: db.knex, viewFlushIntervalMs: 3_600_000 })
    await second.ready()
    try {
      const visit = async (target: FastifyInstance, ip: string): Promise<number> =>
        (await target.inject({ url: '/', headers: { 'x-forwarded-for': ip } })).statusCode
      expect(await visit(second, '192.0.2.44')).toBe(200)
      const agent = await adminAgent()
      expect((await addBan(agent, { range: '192.0.2.44', duration: '1' })).status).toBe(303)
      expect(await visit(app, '192.0.2.44')).toBe(403)
      const started = Date.now()
      while (await visit(second, '192.0.2.44') !== 403) {
        expect(Date.now() - started).toBeLessThan(IP_BAN_RELOAD_MS + 2000)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // A day later the one-day ban has expired: the first check after the expiry rereads the list.
      clock.advance(86400 + 1)
      await visit(app, '192.0.2.44')
      const until = Date.now()
      while (await visit(app, '192.0.2.44') !== 200) {
        expect(Date.now() - until).toBeLessThan(2000)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const list = await agent.get('/admin/ip-bans').expect(200)
      expect(list.text).toContain('已过期')
    } finally {
      await second.close()
    }
  })
})
