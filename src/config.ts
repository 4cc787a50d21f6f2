/**
 * One validated, frozen configuration, read from the environment at start.
 * The server, knexfile.ts, the CLI and the tests all build their config here,
 * so a bad value fails the same way everywhere: with a message naming the variable.
 */

import proxyAddr from '@fastify/proxy-addr'
import type { TrustProxy } from './lib/trust-proxy'

export type DatabaseConfig =
  | { client: 'sqlite'; filename: string }
  | { client: 'mysql'; url: string }

export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test'
  readonly port: number
  readonly host: string
  readonly database: DatabaseConfig
  /**
   * Optional replica for guest-facing reads (MySQL only). When it is unavailable, reads go to the primary
   * and the replica is left alone for a few seconds (src/db/replica.ts).
   */
  readonly readDatabase: DatabaseConfig | null
  /**
   * DATABASE_TIMEOUT_MS (MySQL): the longest the app waits to connect, for a pooled connection, and for
   * one query, before answering 503 with Retry-After. A page facing a hung database answers within about
   * twice this (a wait for the pool, then a query). Migrations and the CLI are not bounded by it.
   */
  readonly databaseTimeoutMs: number
  readonly sessionSecret: string
  /** Earlier SESSION_SECRETs still accepted on signed cookies while a rotation settles (SESSION_SECRET_PREVIOUS); new cookies use sessionSecret. */
  readonly previousSessionSecrets: readonly string[]
  readonly siteTimezone: string
  /** Which reverse proxies' X-Forwarded-* to trust (client address, HTTPS): Fastify's `trustProxy` forms. */
  readonly trustProxy: TrustProxy
  readonly bcryptCost: number
  /** Number of node:cluster worker processes `npm start` runs. */
  readonly workers: number
  /** Log level for pino; 'silent' in tests. */
  readonly logLevel: string
  /** Client IPs exempt from rate limits (RATE_LIMIT_ALLOW, comma-separated): load generators, health checks. */
  readonly rateLimitAllow: readonly string[]
  /**
   * The site's public origin and path (SITE_URL, no trailing slash), for absolute URLs (sitemap.xml,
   * robots.txt). Null only outside production, where the request's own origin stands in.
   */
  readonly siteUrl: string | null
  /** Where the local-disk upload storage keeps pictures (UPLOADS_DIR, default data/uploads). */
  readonly uploadsDir: string
  /**
   * Outgoing mail (src/features/mail): the SMTP server as a URL (SMTP_URL, `smtp://user:pass@host:587`
   * with STARTTLS, or `smtps://…:465`), or null: development then writes .eml files to `mailDir`.
   */
  readonly smtpUrl: string | null
  /** The From address of every mail (MAIL_FROM). */
  readonly mailFrom: string
  /** Where mails go as .eml files when there is no SMTP_URL (MAIL_DIR, default data/mail). */
  readonly mailDir: string
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

const DEV_SESSION_SECRET = 'luntan-development-secret-change-me-please-0123456789'

function parseInteger (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`)
  }
  const value = Number(raw.trim())
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`)
  }
  return value
}

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it: true/false, a hop count, or a comma-separated list of
 * the proxies' addresses or CIDR ranges. ('1' is one hop, not true: trusting every hop lets any client
 * choose its own address.)
 */
function parseTrustProxy (env: Env): TrustProxy {
  const raw = (env.TRUST_PROXY ?? '').trim()
  const lower = raw.toLowerCase()
  if (['', 'false', 'no', 'off'].includes(lower)) return false
  if (['true', 'yes', 'on'].includes(lower)) return true
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops > 100) throw new ConfigError(`TRUST_PROXY hop count must be at most 100, got "${raw}"`)
    return hops === 0 ? false : hops
  }
  const list = raw.split(',').map((a) => a.trim())
  const message = `TRUST_PROXY must be true, false, a hop count, or a comma-separated list of proxy addresses/CIDRs (e.g. 127.0.0.1 or 10.0.0.0/8), got "${raw}"`
  if (list.some((a) => a === '')) throw new ConfigError(message)
  try {
    proxyAddr.compile(list)
  } catch {
    throw new ConfigError(message)
  }
  return Object.freeze(list)
}

export function parseDatabaseUrl (name: string, raw: string): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const filename = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (filename === '') throw new ConfigError(`${name} needs a file after "sqlite:", e.g. sqlite:data/luntan.sqlite3`)
    return { client: 'sqlite', filename }
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    let url: URL
    try {
      url = new URL(raw.replace(/^mariadb:/, 'mysql:'))
    } catch {
      throw new ConfigError(`${name} is not a valid URL: "${raw}"`)
    }
    if (url.hostname === '') throw new ConfigError(`${name} needs a host: "${raw}"`)
    if (url.pathname.length <= 1) throw new ConfigError(`${name} needs a database name, e.g. mysql://user:pass@host:3306/luntan`)
    return { client: 'mysql', url: url.toString() }
  }
  throw new ConfigError(`${name} must start with "sqlite:" or "mysql://", got "${raw}"`)
}

function isValidTimeZone (tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz }).format(0)
    return true
  } catch {
    return false
  }
}

/**
 * SITE_URL: an absolute http(s) URL without query, fragment or credentials. Required in production:
 * absolute URLs built from the request's Host header let anyone who sends a forged Host get that host
 * into what crawlers read (sitemap.xml, robots.txt); only development and test fall back to it.
 */
function parseSiteUrl (raw: string | undefined, nodeEnv: AppConfig['nodeEnv']): string | null {
  if (raw === undefined || raw.trim() === '') {
    if (nodeEnv === 'production') {
      throw new ConfigError('SITE_URL is required when NODE_ENV=production: the public address of the site, e.g. https://bbs.example.com')
    }
    return null
  }
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new ConfigError(`SITE_URL must be an absolute http(s) URL such as https://bbs.example.com, got "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`SITE_URL must start with http:// or https://, got "${raw}"`)
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) throw new ConfigError(`SITE_URL must not have a query or fragment, got "${raw}"`)
  if (url.username !== '' || url.password !== '') throw new ConfigError(`SITE_URL must not hold a user name or password, got "${raw}"`)
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** UPLOADS_DIR: a directory (relative to the working directory or absolute); created on the first upload. */
function parseUploadsDir (raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return 'data/uploads'
  if (raw.includes('\0')) throw new ConfigError('UPLOADS_DIR must be a directory path')
  return raw.trim()
}

/** SMTP_URL: smtp:// or smtps:// with a host; blank means none. */
function parseSmtpUrl (raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw new ConfigError(`SMTP_URL must be a URL such as smtp://user:pass@smtp.example.com:587, got "${raw}"`)
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, got "${raw}"`)
  if (url.hostname === '') throw new ConfigError(`SMTP_URL needs a host, got "${raw}"`)
  return url.toString()
}

/** MAIL_FROM: `addr@host` or `名字 <addr@host>`, without line breaks (it goes into a mail header). */
function parseMailFrom (raw: string | undefined, siteUrl: string | null): string {
  if (raw === undefined || raw.trim() === '') {
    const host = siteUrl !== null ? new URL(siteUrl).hostname : 'localhost'
    return `noreply@${host}`
  }
  const value = raw.trim()
  if (/[\r\n]/.test(value) || !/^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(value)) {
    throw new ConfigError(`MAIL_FROM must be an address such as noreply@example.com or "论坛 <noreply@example.com>", got "${raw}"`)
  }
  return value
}

export function loadConfig (env: Env = process.env): AppConfig {
  const rawEnv = env.NODE_ENV ?? 'development'
  if (rawEnv !== 'development' && rawEnv !== 'production' && rawEnv !== 'test') {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${rawEnv}"`)
  }
  const nodeEnv = rawEnv

  const sessionSecret = env.SESSION_SECRET ?? ''
  if (sessionSecret === '' && nodeEnv === 'production') {
    throw new ConfigError('SESSION_SECRET is required when NODE_ENV=production (at least 32 characters)')
  }
  if (sessionSecret !== '' && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET must be at least 32 characters long')
  }

  const previousSessionSecrets = (env.SESSION_SECRET_PREVIOUS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const previous of previousSessionSecrets) {
    if (previous.length < 32) throw new ConfigError('SESSION_SECRET_PREVIOUS must be a comma-separated list of earlier secrets, each at least 32 characters long')
  }

  const siteTimezone = env.SITE_TIMEZONE ?? 'Asia/Shanghai'
  if (!isValidTimeZone(siteTimezone)) {
    throw new ConfigError(`SITE_TIMEZONE is not a known IANA time zone: "${siteTimezone}"`)
  }

  const host = env.HOST ?? '127.0.0.1'
  if (host.trim() === '') throw new ConfigError('HOST must not be empty')

  const readUrl = env.DATABASE_READ_URL
  const readDatabase = readUrl !== undefined && readUrl !== '' ? parseDatabaseUrl('DATABASE_READ_URL', readUrl) : null

  const logLevel = env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info')
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`)
  }

  const rateLimitAllow = (env.RATE_LIMIT_ALLOW ?? '').split(',').map((ip) => ip.trim()).filter((ip) => ip !== '')
  for (const ip of rateLimitAllow) {
    if (!/^[0-9a-fA-F.:]+$/.test(ip)) throw new ConfigError(`RATE_LIMIT_ALLOW must be a comma-separated list of IP addresses, got "${ip}"`)
  }

  return Object.freeze({
    nodeEnv,
    port: parseInteger(env, 'PORT', 3000, 0, 65535),
    host,
    database: parseDatabaseUrl('DATABASE_URL', env.DATABASE_URL ?? 'sqlite:data/luntan.sqlite3'),
    readDatabase,
    databaseTimeoutMs: parseInteger(env, 'DATABASE_TIMEOUT_MS', 1000, 100, 600_000),
    sessionSecret: sessionSecret === '' ? DEV_SESSION_SECRET : sessionSecret,
    previousSessionSecrets: Object.freeze(previousSessionSecrets),
    siteTimezone,
    trustProxy: parseTrustProxy(env),
    bcryptCost: parseInteger(env, 'BCRYPT_COST', 12, 4, 15),
    workers: parseInteger(env, 'WORKERS', 1, 1, 64),
    logLevel,
    rateLimitAllow: Object.freeze(rateLimitAllow),
    siteUrl: parseSiteUrl(env.SITE_URL, nodeEnv),
    uploadsDir: parseUploadsDir(env.UPLOADS_DIR),
    smtpUrl: parseSmtpUrl(env.SMTP_URL),
    mailFrom: parseMailFrom(env.MAIL_FROM, parseSiteUrl(env.SITE_URL, nodeEnv)),
    mailDir: (env.MAIL_DIR ?? '').trim() === '' ? 'data/mail' : (env.MAIL_DIR ?? '').trim()
  })
}
