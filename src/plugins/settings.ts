import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { Clock } from '../lib/clock'
import { effectiveTimeZone } from '../lib/time-zone'
import { effectiveSiteUrl } from '../lib/site-url'

/**
 * Site settings live in the `settings` table (key → value text), so admins change them without a deploy.
 * Each process caches them for at most CACHE_MS: another instance's change is seen within that time.
 */

export interface FooterLink { label: string, url: string }

export const SETTING_DEFAULTS = {
  site_name: '濠江社区',
  site_url: '',
  /** The header logo's URL (an upload, POST /admin/settings/logo); blank shows static/img/logo.svg. */
  site_logo: '',
  /** An IANA zone overriding SITE_TIMEZONE for the dates pages show; blank keeps SITE_TIMEZONE. */
  site_timezone: '',
  site_hotline: '0754-8800 0000',
  site_icp: '粤ICP备00000000号',
  site_police_record: '粤公网安备 00000000000000号',
  site_copyright: 'Copyright © 2024-2026 濠江社区',
  report_phone: '0754-8800 0000',
  report_email: 'report@example.com',
  // Only pages that exist on a fresh site. An admin writes 关于我们 / 帮助中心 … at /admin/pages and
  // lists them at /admin/settings; the demo seed does both (src/db/demo-content.ts).
  footer_links: JSON.stringify([
    { label: '手机版', url: '/?mobile=yes' },
    { label: '小黑屋', url: '/darkroom' },
    { label: 'Archiver', url: '/archiver/' }
  ] satisfies FooterLink[]),
  /** Hours in which the same visitor counts once per article/thread; 0 counts every request. */
  view_dedupe_hours: '8',
  /** '0' closes /register (站点设置 → 开放注册). */
  registration_open: '1',
  darkroom_enabled: '1',
  archiver_enabled: '1',
  archiver_redirect: '0',
  guest_comments: '0',
  comment_max_length: '1000',
  /** '1' keeps commenters' raw IP addresses next to the salted hash (off: only the hash is stored). */
  comment_store_raw_ip: '0',
  reactions_daily_cap: '50',
  /** Largest picture upload accepted, in bytes (before re-encoding): 5 MB. */
  upload_max_bytes: String(5 * 1024 * 1024),
  // 防灌水 (src/features/antiabuse): the defaults are the numbers the rules had before they were settings.
  /** Seconds between two contributions of one member; 0 turns flood control off. */
  flood_interval: '15',
  /** ...during a member's first day. */
  new_member_flood_interval: '30',
  /** Seconds after registration during which a member may not post at all. */
  new_member_silence: '120',
  /** A member's first this-many contributions that contain a link wait for review. */
  new_member_link_review_count: '3',
  /** Searches a visitor may run per minute (GET /search); beyond, a 429 with a Chinese message. */
  search_per_minute: '10',
  /** '1': a member whose e-mail address is not verified may read and react but not post (issue 20). */
  email_verification_required: '0',
  /** Captcha (src/features/captcha) on /register; on guest comments when guests may comment. */
  captcha_register: '1',
  captcha_guest_comments: '1',
  /** Failed logins (from the address, or for the account, in 15 minutes) after which login asks for the captcha; 0: never. */
  captcha_login_failures: '3',
  /** The no-JavaScript fallback: a question any reader can answer; a blank answer turns the fallback off. */
  captcha_question: '请输入“论坛”两个字的拼音（小写字母）',
  captcha_answer: 'luntan'
} as const

export type SettingKey = keyof typeof SETTING_DEFAULTS

const CACHE_MS = 1000

export class SettingsService {
  private cache: Map<string, string> | null = null
  /** The last settings read from the database: kept when invalidated, used while a reread fails. */
  private lastGood: Map<string, string> | null = null
  private loadedAt = 0
  private loading: Promise<Map<string, string>> | null = null

  /**
   * `defaultTimeZone`: SITE_TIMEZONE, the zone while 站点设置 → 时区 is blank. `defaultSiteUrl`: SITE_URL,
   * the address while 站点设置 → 站点网址 is blank.
   */
  constructor (private readonly db: Knex, private readonly clock: Clock, readonly defaultTimeZone = 'Asia/Shanghai', readonly defaultSiteUrl: string | null = null) {}

  private async load (trx?: Knex.Transaction): Promise<Map<string, string>> {
    if (this.cache !== null && this.clock.nowMs() - this.loadedAt < CACHE_MS) return this.cache
    // Read inside the caller's transaction (its own query, not shared: the transaction may end first).
    // On SQLite the pool has one connection, which a transaction holds: a read outside it would wait for itself.
    if (trx !== undefined) {
      const rows = await trx('settings').select<Array<{ key: string, value: string }>>('key', 'value')
      const map = new Map(rows.map((row) => [row.key, row.value]))
      this.cache = map
      this.lastGood = map
      this.loadedAt = this.clock.nowMs()
      return map
    }
    // One query for concurrent callers, not one each.
    this.loading ??= (async () => {
      try {
        const rows = await this.db('settings').select<Array<{ key: string, value: string }>>('key', 'value')
        const map = new Map<string, string>()
        for (const row of rows) map.set(row.key, row.value)
        this.cache = map
        this.lastGood = map
        this.loadedAt = this.clock.nowMs()
        return map
      } catch (err) {
        // The database is down (or the read failed): the last settings read stay in use, retried once a
        // CACHE_MS, so the pages that need no other query (error pages, cached copies' view counts) still
        // render. Before any read succeeded there is nothing to fall back on.
        if (this.lastGood === null) throw err
        this.cache = this.lastGood
        this.loadedAt = this.clock.nowMs()
        return this.lastGood
      } finally {
        this.loading = null
      }
    })()
    return await this.loading
  }

  /** `trx`: read in the caller's transaction when the cache is stale (see load). */
  async get (key: SettingKey, trx?: Knex.Transaction): Promise<string> {
    const map = await this.load(trx)
    return map.get(key) ?? SETTING_DEFAULTS[key]
  }

  async getNumber (key: SettingKey, trx?: Knex.Transaction): Promise<number> {
    const value = Number(await this.get(key, trx))
    return Number.isFinite(value) ? value : Number(SETTING_DEFAULTS[key])
  }

  async getBoolean (key: SettingKey): Promise<boolean> {
    const value = await this.get(key)
    return value === '1' || value === 'true'
  }

  /**
   * The site's zone as it is now (站点设置 → 时区, else SITE_TIMEZONE): what every calendar-day rule
   * (今日 counts, the daily 表态 cap) and every typed-in date (ban end, 发布时间, log filter) means.
   * `trx`: read in the caller's transaction when the cache is stale (see load).
   */
  async timeZone (trx?: Knex.Transaction): Promise<string> {
    return effectiveTimeZone(await this.get('site_timezone', trx), this.defaultTimeZone)
  }

  /**
   * The site's public address as it is now, for absolute links (sitemap, robots.txt, feeds, mail links):
   * 站点设置 → 站点网址, else SITE_URL, else `fallback` (the request's origin; development and test only,
   * see effectiveSiteUrl). Read like every setting: another process's change shows within CACHE_MS.
   */
  async siteOrigin (fallback: string): Promise<string> {
    return effectiveSiteUrl(await this.get('site_url'), this.defaultSiteUrl, fallback)
  }

  /** The zone as last read, without a query: for synchronous code (a refusal's message). */
  lastKnownTimeZone (): string {
    return effectiveTimeZone(this.lastKnown().site_timezone, this.defaultTimeZone)
  }

  /** All settings with defaults filled in (for templates). */
  async all (): Promise<Record<SettingKey, string>> {
    return this.merged(await this.load())
  }

  /**
   * The settings as last read, or the defaults: no query. For pages that must render whatever the
   * database does (the error page while it is down).
   */
  lastKnown (): Record<SettingKey, string> {
    return this.merged(this.lastGood ?? new Map())
  }

  private merged (map: ReadonlyMap<string, string>): Record<SettingKey, string> {
    const out = { ...SETTING_DEFAULTS } as Record<SettingKey, string>
    for (const key of Object.keys(SETTING_DEFAULTS) as SettingKey[]) {
      const v = map.get(key)
      if (v !== undefined) out[key] = v
    }
    return out
  }

  async set (key: SettingKey, value: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('settings').insert({ key, value }).onConflict('key').merge()
    this.invalidate()
  }

  invalidate (): void {
    this.cache = null
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    settings: SettingsService
  }
}

export default fp<{ defaultTimeZone?: string, defaultSiteUrl?: string | null }>(async (app, opts) => {
  app.decorate('settings', new SettingsService(app.db, app.clock, opts.defaultTimeZone, opts.defaultSiteUrl ?? null))
}, { name: 'settings', dependencies: ['db', 'clock'] })
