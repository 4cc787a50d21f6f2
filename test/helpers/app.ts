import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import supertest from 'supertest'
import { buildApp, type BuildOptions } from '../../src/app'
import { loadConfig, type AppConfig } from '../../src/config'
import { ManualClock } from '../../src/lib/clock'
import type { TestDatabase } from './database'

export interface TestApp {
  app: FastifyInstance
  clock: ManualClock
  config: AppConfig
  /** A fresh supertest agent (its own cookie jar = its own browser). */
  agent: () => supertest.Agent
  close: () => Promise<void>
}

export interface TestAppOptions {
  clock?: ManualClock
  env?: Record<string, string>
  /** Use a separate connection pool (a second app instance on the same database). */
  knex?: Knex
  viewFlushIntervalMs?: number
  /** The guest page micro-cache is off in tests (a frozen ManualClock would keep pages forever) unless set. */
  guestCacheMs?: number
  /** The one-second session and member cache is off in tests (a frozen clock would keep a ban from applying) unless set. */
  memberCacheMs?: number
  sitemapUrlsPerFile?: number
  /** The mail sender's timer (0 in tests: mail goes out on the kick after each commit, or when a test calls deliverDue). */
  mailPollMs?: number
  /** The 提醒 digest timer (0 in tests: a test calls app.notificationDigest.sendDue()). */
  digestIntervalMs?: number
  /** Routes that exist only in this test app (a crash, a bad header), added before it is ready. */
  routes?: (app: FastifyInstance) => void
  /** Where the log goes when `env` turns it on (NODE_ENV=development: readable lines a test can read). */
  logDestination?: NodeJS.WritableStream
  /** Load shedding over the app's defaults (NODE_ENV=test turns it off; a development app turns it off with `{ maxEventLoopDelay: 0 }`). */
  loadShedding?: BuildOptions['loadShedding']
}

/** `env` for an app whose tests log in many times from one client: the per-IP rate limits would refuse them. */
export const LOCAL_CLIENTS_UNLIMITED: Readonly<Record<string, string>> = { RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1' }

/** The test database's URL, as DATABASE_URL (or DATABASE_READ_URL) takes it. */
export function databaseUrl (db: TestDatabase): string {
  return db.config.client === 'sqlite' ? `sqlite:${db.config.filename}` : db.config.url
}

/** The config a test app runs with: the test database, the cheapest bcrypt cost, and the test's own settings. */
export function testConfig (db: TestDatabase, env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl(db), BCRYPT_COST: '4', ...env })
}

/**
 * Test apps write buffered views only when a test calls `app.viewCounts.flush()`: a real-time flush
 * every 500 ms would change `views` columns under tests that compare rows before and after, or that
 * watch which pool a query used (it made banned-staff and read-replica fail now and then).
 */
const TEST_VIEW_FLUSH_MS = 3_600_000
/** Likewise the 站点状态 heartbeat: written as the app starts and when /admin is shown (or a test calls beat()). */
const TEST_HEARTBEAT_MS = 3_600_000

export async function buildTestApp (db: TestDatabase, options: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(db, options.env)
  const clock = options.clock ?? new ManualClock()
  const app = await buildApp(config, { clock, knex: options.knex ?? db.knex, viewFlushIntervalMs: options.viewFlushIntervalMs ?? TEST_VIEW_FLUSH_MS, guestCacheMs: options.guestCacheMs ?? 0, memberCacheMs: options.memberCacheMs ?? 0, heartbeatMs: TEST_HEARTBEAT_MS, sitemapUrlsPerFile: options.sitemapUrlsPerFile, mailPollMs: options.mailPollMs ?? 0, digestIntervalMs: options.digestIntervalMs ?? 0, logDestination: options.logDestination, loadShedding: options.loadShedding })
  options.routes?.(app)
  await app.ready()
  return {
    app,
    clock,
    config,
    agent: () => supertest.agent(app.server),
    close: async () => { await app.close() }
  }
}

/** The CSRF token of the first form in a page. */
export function csrfFrom (html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html)
  if (m?.[1] === undefined) throw new Error('no CSRF token in page')
  return m[1]
}

/** Logs an agent in through the real login form; returns the agent for chaining. */
export async function login (agent: supertest.Agent, login: string, password: string): Promise<supertest.Agent> {
  const page = await agent.get('/login').expect(200)
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login, password })
  if (res.status !== 303) throw new Error(`login as ${login} failed with ${res.status}`)
  return agent
}

/** A CSRF token for an agent's session (loads the login page or any page with a form). */
export async function csrfToken (agent: supertest.Agent, path = '/login'): Promise<string> {
  const page = await agent.get(path)
  return csrfFrom(page.text)
}
