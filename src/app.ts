import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import Fastify, { type FastifyInstance } from 'fastify'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import compress from '@fastify/compress'
import type { Knex } from 'knex'
import type { AppConfig } from './config'
import { systemClock, type Clock } from './lib/clock'
import { FrontDoor } from './lib/front-door'
import { compileTrustProxy } from './lib/trust-proxy'
import clockPlugin from './plugins/clock'
import routeTablePlugin from './plugins/route-table'
import dbPlugin from './plugins/db'
import settingsPlugin from './plugins/settings'
import sessionPlugin from './plugins/session'
import securityPlugin, { securityHeadersPlugin } from './plugins/security'
import mobilePlugin from './plugins/mobile'
import guestPagesPlugin, { COMPRESS_THRESHOLD } from './plugins/guest-pages'
import loadSheddingPlugin from './plugins/load-shedding'
import type { FastifyUnderPressureOptions } from '@fastify/under-pressure'
import viewPlugin, { STATIC_DIR } from './plugins/view'
import authPlugin from './plugins/auth'
import memberPagesPlugin from './plugins/member-pages'
import inputTextPlugin from './plugins/input-text'
import errorsPlugin, { clientErrorHandler, frameworkErrorHandler, sendErrorPage } from './plugins/errors'
import errorRingPlugin from './plugins/error-ring'
import { loggerOptions, ReadableRequestLog } from './plugins/request-log'
import membersFeature, { memberAuthSource } from './features/members'
import boardModeratorsFeature, { withModeratedBoards } from './features/board-moderators'
import viewCountsPlugin from './plugins/view-counts'
import portalPlugin from './features/portal'
import archiverPlugin, { sitemapPlugin } from './features/archiver'
import adminFeature from './features/admin'
import commentsPlugin from './features/comments'
import reactionsPlugin from './features/reactions'
import forumFeature from './features/forum'
import legacyUrlsPlugin from './plugins/legacy-urls'
import antiAbuseFeature from './features/antiabuse'
import moderationFeature from './features/moderation'
import uploadsPlugin from './features/uploads'
import siteAdminPlugin from './features/site-admin'
import pagesPlugin from './features/pages'
import feedsPlugin from './features/feeds'
import structureFeature from './features/structure'
import peopleFeature from './features/people'
import ipBansFeature from './features/ip-bans'
import categoryEditorsFeature from './features/category-editors'
import siteLogoFeature from './features/site-logo'
import searchFeature, { searchPagesPlugin } from './features/search'
import mailFeature from './features/mail'
import captchaFeature from './features/captcha'
import notificationsFeature, { withMemberBlocks } from './features/notifications'
import notificationDigestFeature from './features/notification-digest'
import avatarsFeature from './features/avatars'
import discuzImportFeature from './features/discuz-import'

/** What a request gets that arrives while the process drains for a restart (SIGTERM): ask again shortly. */
const RESTARTING_MESSAGE = '网站正在重启，请稍后再试'
const RESTART_RETRY_AFTER_SECONDS = 5

export interface BuildOptions {
  /** Defaults to the system clock; tests pass a ManualClock. */
  clock?: Clock
  /** An existing Knex handle (tests, CLI); otherwise one is created from config.database. */
  knex?: Knex
  /** How often buffered view counts are written (default 500 ms); tests stretch it to flush by hand. */
  viewFlushIntervalMs?: number
  /** How often this process writes its 站点状态 heartbeat row (default HEARTBEAT_MS; tests beat only at start and on demand). */
  heartbeatMs?: number
  /** Guest page micro-cache lifetime (default 1000 ms; tests turn it off unless they test it). */
  guestCacheMs?: number
  /**
   * How long a process reuses a session row and a member it loaded (default 1000 ms, the settings'
   * window: a ban or a logout elsewhere applies within it). Tests turn it off unless they test it.
   */
  memberCacheMs?: number
  /** URLs per sitemap file (the protocol's limit, 50,000, by default; tests use a small one). */
  sitemapUrlsPerFile?: number
  /** One front-door answer in N is logged (default 100; 0: none); tests log each. */
  doorLogEvery?: number
  /** @fastify/under-pressure options over the defaults (tests make the app unhealthy with a healthCheck). */
  loadShedding?: FastifyUnderPressureOptions
  /** Where development logs go (stdout by default); tests read them from a stream. */
  logDestination?: NodeJS.WritableStream
  /** How often the mail sender looks for due mail besides the kick after each commit (default 5 s; 0: only kicks). */
  mailPollMs?: number
  /** How often this process looks for due 提醒 e-mail digests (default 5 minutes; 0: only when sendDue is called). */
  digestIntervalMs?: number
}

/**
 * The app factory used by the server process and by every test:
 * external plugins → app plugins → features → error/404 handlers.
 */
export async function buildApp (config: AppConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  // The guest page cache answers fresh copies of hot pages here, before Fastify (src/lib/front-door.ts).
  const frontDoor = new FrontDoor()
  // One trust function for Fastify's request.ip/protocol and for the front door (same client address).
  const trustProxy = compileTrustProxy(config.trustProxy)
  // Filled in once the security headers exist (below): the parser's refusals carry them too.
  let clientErrorHeaders: Readonly<Record<string, string>> = {}
  const app = Fastify({
    serverFactory: frontDoor.serverFactory,
    logger: loggerOptions(config, options.logDestination),
    // Development logs one readable line per request (src/plugins/request-log.ts); elsewhere Fastify's JSON lines.
    logController: config.nodeEnv === 'development' ? new ReadableRequestLog() : undefined,
    // false stays false: Fastify then skips its proxy-aware request getters.
    trustProxy: config.trustProxy === false ? false : trustProxy,
    // Request ids are shown on the 500 page so a user can quote one to an admin.
    genReqId: () => Math.random().toString(36).slice(2, 10),
    bodyLimit: 256 * 1024,
    // A malformed URL gets the site's Chinese error page, not Fastify's English JSON.
    frameworkErrors: frameworkErrorHandler,
    // Requests the HTTP parser refuses (a URL past 16 KB): Chinese, with the headers every page has.
    clientErrorHandler: clientErrorHandler(() => clientErrorHeaders),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Fastify's own answer while closing is an English JSON 503; the hook below answers the site's page.
    return503OnClosing: false
  })
  // A SIGTERM drain: requests already running finish; one arriving meanwhile on an open keep-alive socket
  // gets the Chinese 503 page, Retry-After and Connection: close (so the client reconnects to a process
  // that is up), and costs no work that could hold the drain past its deadline.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return
    void reply.header('Connection', 'close').header('Retry-After', String(RESTART_RETRY_AFTER_SECONDS))
    return await sendErrorPage(request, reply, 503, RESTARTING_MESSAGE)
  })

  await app.register(routeTablePlugin)
  await app.register(clockPlugin, { clock: options.clock ?? systemClock })
  await app.register(dbPlugin, { config, knex: options.knex })
  await app.register(settingsPlugin, { defaultTimeZone: config.siteTimezone, defaultSiteUrl: config.siteUrl })
  await app.register(formbody)
  // Pages are compressed in one synchronous call: the plugin's default on two cores (8 KB) sent every
  // page larger than that through a compression stream, which cost more than the whole render.
  // Brotli at quality 1, not the plugin's 4: what goes through here is compressed on every response (a
  // member's pages; guests get the cache's stored gzip). A 15–18 KB page took 56–77 µs at 1 and 250–300
  // µs at 4, for 3.3–4.2 KB instead of 2.8–3.5 KB; with 64 members reading, member pages served 1.1 to
  // 1.7 times as many requests (docs/benchmarks.md, "Fifth pass").
  await app.register(compress, {
    threshold: COMPRESS_THRESHOLD,
    syncThreshold: 256 * 1024,
    encodings: ['br', 'gzip', 'deflate'],
    brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }
  })
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    // Asset URLs carry ?v=<content hash>, so a long cache is safe.
    maxAge: '365d',
    immutable: true
  })
  // Browsers ask for /favicon.ico on a first visit whatever the page links (it was a 404 on every one):
  // the logo (static/img/logo.svg) drawn at 16, 32 and 48 px by Chromium into one .ico. Its URL has no
  // version, so a month rather than the assets' year.
  const favicon = fs.readFileSync(path.join(STATIC_DIR, 'favicon.ico'))
  app.get('/favicon.ico', async (_request, reply) => {
    return await reply.type('image/x-icon').header('Cache-Control', 'public, max-age=2592000').send(favicon)
  })
  // Headers, view counting and the guest page cache come before the session: a guest's request for a
  // page rendered within the last second is answered there, without a session or a member lookup.
  await app.register(securityHeadersPlugin)
  clientErrorHeaders = app.securityHeadersFor(false)
  await app.register(viewCountsPlugin, { config, flushIntervalMs: options.viewFlushIntervalMs })
  await app.register(guestPagesPlugin, { ttlMs: options.guestCacheMs, frontDoor, trustProxy, doorLogEvery: options.doorLogEvery })
  // 手机版 / 电脑版 (`?mobile=2`, `?mobile=no`): a cookie and a redirect before anything renders a page; the web app manifest.
  await app.register(mobilePlugin)
  // Before the session: a shed request costs no session lookup. A gate of the front door too.
  // Off in tests unless a test sets it: a test machine's event loop lags past a second under a slow test
  // (the Markdown bounds probes on two shared cores), and a 503 there is noise, not load.
  await app.register(loadSheddingPlugin, { options: options.loadShedding ?? (config.nodeEnv === 'test' ? { maxEventLoopDelay: 0 } : undefined) })
  await app.register(sessionPlugin, { config, cacheMs: options.memberCacheMs })
  await app.register(securityPlugin, { config })
  await app.register(viewPlugin, { config })
  // Auth knows no feature: who a session's member is comes from the members feature (src/plugins/auth.ts).
  await app.register(authPlugin, { config, users: withMemberBlocks(withModeratedBoards(memberAuthSource(app.db), app.db), app.db), cacheMs: options.memberCacheMs })
  // A plain member's pages: one shared copy a second with per-member holes (src/plugins/member-pages.ts), the guests' window.
  await app.register(memberPagesPlugin, { ttlMs: options.guestCacheMs })
  await app.register(inputTextPlugin)
  await app.register(errorRingPlugin)
  await app.register(errorsPlugin)
  // Shared services features contribute to (before the features that use them).
  await app.register(sitemapPlugin, { urlsPerFile: options.sitemapUrlsPerFile })
  await app.register(legacyUrlsPlugin)
  // Anti-abuse and moderation first: comments and the forum check contributions through app.antiAbuse,
  // add ban hooks to app.banHooks and record staff actions in app.moderation.audit.
  await app.register(antiAbuseFeature)
  // 提醒 and 屏蔽用户 before every feature that tells of an event (bans, comments, reactions, the forum).
  await app.register(notificationsFeature)
  await app.register(moderationFeature, { config })

  // Features: each a plugin in src/features/<feature>/.
  // Mail and the captcha before the members (找回密码, verification, registration) and comments use them.
  await app.register(mailFeature, { config, pollMs: options.mailPollMs })
  await app.register(captchaFeature, { config })
  await app.register(membersFeature, { config })
  // The hourly 提醒 e-mail digest: notices (notifications), the outbox (mail), the address (members).
  await app.register(notificationDigestFeature, { config, intervalMs: options.digestIntervalMs })
  // The search index before the content features: they write to it in their own transactions.
  await app.register(searchFeature)
  // The portal decorates app.portal and the article/home section registries the others add to.
  await app.register(portalPlugin, { guestCacheMs: options.guestCacheMs, config })
  await app.register(commentsPlugin, { config })
  await app.register(reactionsPlugin, { config })
  await app.register(adminFeature, { config })
  await app.register(forumFeature, { config })
  // The Archiver reads the portal, comments and forum through their services.
  await app.register(archiverPlugin, { cacheMs: options.guestCacheMs, config })
  await app.register(uploadsPlugin, { config })
  await app.register(siteAdminPlugin, { config, heartbeatMs: options.heartbeatMs })
  await app.register(pagesPlugin)
  await app.register(feedsPlugin, { cacheMs: options.guestCacheMs === 0 ? 0 : undefined })
  await app.register(structureFeature)
  await app.register(peopleFeature, { config })
  await app.register(ipBansFeature)
  await app.register(boardModeratorsFeature)
  await app.register(categoryEditorsFeature)
  await app.register(siteLogoFeature)
  await app.register(searchPagesPlugin)
  await app.register(avatarsFeature, { config })
  await app.register(discuzImportFeature, { config })

  return app
}
