import net from 'node:net'
import supertest from 'supertest'
import { buildApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { isDatabaseUnavailable } from '../../src/db/knex'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'
const MESSAGE = '数据库暂时无法连接，请稍后再试'

function expectUnavailablePage (res: supertest.Response): void {
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toMatch(/^\d+$/)
  expect(res.headers['content-type']).toMatch(/^text\/html/)
  expect(res.text).toContain(MESSAGE)
  expect(res.text).toContain('违法和不良信息举报电话') // the site's layout, not the bare fallback
}

describe.each(dialects)('error pages while the database is gone (its pool destroyed) on %s', (dialect) => {
  // The app on its own pool, so destroying it leaves the test database to clean up.
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 }, ownPool: true, seed: async (db) => {
    await db.knex('settings').insert({ key: 'site_name', value: '断线测试社区' }).onConflict('key').merge()
  } })
  let member: supertest.Agent

  beforeAll(async () => {
    await ctx.t.agent().get('/').set('User-Agent', BROWSER).expect(200) // settings read once while the database was up
    const user = await createUser(ctx.db.knex)
    member = await login(ctx.t.agent().set('User-Agent', BROWSER), user.username, user.password)
    await ctx.t.app.db.destroy()
  })

  it('answers 503 with Retry-After and the Chinese page in the layout, from the last settings read', async () => {
    for (const url of ['/', '/forum', '/darkroom']) {
      const res = await ctx.t.agent().get(url).set('User-Agent', BROWSER)
      expectUnavailablePage(res)
      expect(res.text).toContain('断线测试社区')
    }
  })

  it('answers a request with a session cookie (a member\'s) the same way: the session store is down too', async () => {
    expectUnavailablePage(await member.get('/forum'))
  })

  it('still renders other error pages (a 404) without the database, and JSON clients get JSON', async () => {
    const missing = await ctx.t.agent().get('/no-such-page').set('User-Agent', BROWSER).expect(404)
    expect(missing.text).toContain('断线测试社区')
    const json = await ctx.t.agent().get('/').set('Accept', 'application/json').expect(503)
    expect(json.headers['retry-after']).toMatch(/^\d+$/)
    expect(json.body).toMatchObject({ error: MESSAGE, statusCode: 503 })
  })
})

describe('error pages when the MySQL server is not there at all (nothing listens)', () => {
  let app: Awaited<ReturnType<typeof buildApp>>

  beforeAll(async () => {
    // A port that was free a moment ago: connecting is refused (ECONNREFUSED).
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
      })
    })
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: `mysql://root@127.0.0.1:${port}/luntan` })
    app = await buildApp(config, { viewFlushIntervalMs: 3_600_000, guestCacheMs: 0 })
    await app.ready()
  })
  afterAll(async () => { await app?.close() })

  it('answers 503 with Retry-After and a Chinese page (the default settings), request after request, without crashing', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await supertest(app.server).get(i === 2 ? '/thread/1' : '/').set('User-Agent', BROWSER)
      expectUnavailablePage(res)
    }
  })
})

describe('error pages when the MySQL server accepts connections but never answers (hung)', () => {
  let app: Awaited<ReturnType<typeof buildApp>>
  let hung: net.Server
  const sockets: net.Socket[] = []

  beforeAll(async () => {
    // What a frozen mysqld looks like from outside: the connection is accepted, no greeting ever comes.
    hung = net.createServer((socket) => { sockets.push(socket) })
    const port = await new Promise<number>((resolve) => hung.listen(0, '127.0.0.1', () => { resolve((hung.address() as net.AddressInfo).port) }))
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: `mysql://root@127.0.0.1:${port}/luntan`, DATABASE_TIMEOUT_MS: '300' })
    app = await buildApp(config, { viewFlushIntervalMs: 3_600_000, guestCacheMs: 0 })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    for (const socket of sockets) socket.destroy()
    hung?.close()
  })

  it('answers 503 after about DATABASE_TIMEOUT_MS, then at once while it stays hung (not one timeout per query)', async () => {
    // Past any fail-fast window a query at start-up opened: this request waits for the hung server.
    await new Promise((resolve) => setTimeout(resolve, 400))
    let started = Date.now()
    expectUnavailablePage(await supertest(app.server).get('/forum').set('User-Agent', BROWSER))
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(Date.now() - started).toBeLessThan(1_500)
    started = Date.now()
    for (const url of ['/', '/darkroom']) expectUnavailablePage(await supertest(app.server).get(url).set('User-Agent', BROWSER))
    expect(Date.now() - started).toBeLessThan(1_000)
  })
})

describe('which errors mean the database is unavailable', () => {
  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }), true],
    ['PROTOCOL_CONNECTION_LOST', Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }), true],
    ['the pool\'s acquire timeout', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }), true],
    ['SQLITE_BUSY', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), true],
    ['ETIMEDOUT as a cause', new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ETIMEDOUT' }) }), true],
    ['a query timeout', Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }), true],
    ['the database timed out a moment ago', Object.assign(new Error('not waiting again yet'), { code: 'LUNTAN_DATABASE_RECENTLY_UNAVAILABLE' }), true],
    ['ER_NO_SUCH_TABLE', Object.assign(new Error("Table 'x' doesn't exist"), { code: 'ER_NO_SUCH_TABLE' }), false],
    ['a unique violation', Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }), false],
    ['a TypeError', new TypeError('x is undefined'), false]
  ])('%s → %s', (_label, err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected)
  })
})
