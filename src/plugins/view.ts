import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { setImmediate as setImmediatePromise } from 'node:timers/promises'
import fp from 'fastify-plugin'
import fastifyView from '@fastify/view'
import nunjucks from 'nunjucks'
import type { FastifyReply } from 'fastify'
import type { AppConfig } from '../config'
import { formatDate, formatDateTime, gmtLabel, humanizeFuture, humanizePast } from '../lib/dates'
import { effectiveTimeZone } from '../lib/time-zone'
import { can, ROLE_NAMES, isRole } from '../lib/permissions'
import { policeRecordCode } from '../lib/site-settings-form'
import { coverThumbnailUrl } from '../lib/article-render'
import { variantFromCookie } from '../lib/layout-variant'
import type { FooterLink } from './settings'
import { avatarUrl, isAvatarSize } from '../lib/avatar'
import { signatureHtml } from '../lib/signature'
import { linkMentions } from '../lib/mentions'

export const VIEWS_DIR = path.join(__dirname, '..', '..', 'views')
export const STATIC_DIR = path.join(__dirname, '..', '..', 'static')

declare module 'fastify' {
  interface FastifyReply {
    /** Renders `template` inside the site layout with the shared locals (site settings, user, CSRF token, time). */
    render: (template: string, data?: Record<string, unknown>) => Promise<FastifyReply>
    /**
     * Renders like `render` but returns the HTML; `personal` is true when the page holds something
     * tied to this visitor's session (a CSRF token), so it must not be served to anyone else.
     */
    renderPage: (template: string, data?: Record<string, unknown>) => Promise<RenderedPage>
  }
}

/** For every member's response and every page holding a form token. */
export const PRIVATE_NO_STORE = 'private, no-store'

export interface RenderedPage { html: string, personal: boolean }

/** A short hash of the stylesheet and script: `?v=` on their URLs lets them be cached for a year. */
function assetVersion (): string {
  const hash = crypto.createHash('sha256')
  for (const file of ['css/luntan.css', 'css/admin.css', 'js/luntan.js', 'css/article-editor.css', 'js/article-editor.js']) {
    const p = path.join(STATIC_DIR, file)
    if (fs.existsSync(p)) hash.update(fs.readFileSync(p))
  }
  return hash.digest('hex').slice(0, 10)
}

export default fp<{ config: AppConfig }>(async (app, opts) => {
  // The zone dates are shown in: 站点设置's 时区 when set (src/lib/time-zone.ts), else SITE_TIMEZONE.
  // Filters are synchronous, so each render refreshes it from the settings it just read; every process
  // shows a change within the settings cache interval. Services read the same zone through
  // app.settings.timeZone() (今日 counts, the 表态 cap, typed-in dates).
  let tz = opts.config.siteTimezone
  let environment: nunjucks.Environment | null = null
  const addFilters = (env: nunjucks.Environment): void => {
    environment = env
    env.addFilter('datetime', (s: unknown) => typeof s === 'number' ? formatDateTime(s, tz) : '')
    env.addFilter('date', (s: unknown) => typeof s === 'number' ? formatDate(s, tz) : '')
    env.addFilter('ago', (s: unknown) => typeof s === 'number' ? humanizePast(s, app.clock.now(), tz) : '')
    env.addFilter('countdown', (s: unknown) => typeof s === 'number' ? humanizeFuture(s, app.clock.now()) : '')
    env.addFilter('roleName', (r: unknown) => isRole(r) ? ROLE_NAMES[r] : '')
    env.addFilter('policeCode', (s: unknown) => typeof s === 'string' ? policeRecordCode(s) : '')
    // A list row's picture: the upload's thumbnail variant of the article's cover (src/lib/article-render.ts).
    env.addFilter('coverThumb', (s: unknown) => typeof s === 'string' ? coverThumbnailUrl(s) : null)
    // 头像 and 签名 (src/lib/avatar.ts, src/lib/signature.ts): the signature filter escapes before it links, so its output is safe.
    env.addFilter('avatar', (uid: unknown, size: unknown) => typeof uid === 'number' ? avatarUrl(uid, isAvatarSize(size) ? size : 'middle') : '')
    env.addFilter('signature', (s: unknown) => new nunjucks.runtime.SafeString(typeof s === 'string' ? signatureHtml(s) : ''))
    // @mentions in a post's or comment's sanitized HTML become links (the first ten, as notified).
    env.addFilter('mentions', (s: unknown) => typeof s === 'string' ? new nunjucks.runtime.SafeString(linkMentions(s)) : s)
    env.addFilter('urlencode', (s: unknown) => encodeURIComponent(typeof s === 'string' || typeof s === 'number' ? String(s) : ''))
  }

  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: VIEWS_DIR,
    defaultContext: {},
    options: {
      autoescape: true,
      trimBlocks: true,
      lstripBlocks: true,
      // Compiled templates are cached by nunjucks; never recompiled per request.
      noCache: false,
      onConfigure: addFilters
    },
    production: opts.config.nodeEnv === 'production'
  })

  const version = assetVersion()

  // In production every template is compiled before the first request: nunjucks compiles a template on
  // its first use, reading its file synchronously, up to 12 ms each on this machine (all 85 take 0.2 s
  // here at start), so a page's first render held the event loop for its layout and partials together.
  // Tests build hundreds of apps and skip it. One template per turn of the event loop: compiled in one go
  // on a busy machine (CI) they held the loop past a second, and @fastify/under-pressure then shed the
  // first requests with 503s.
  if (opts.config.nodeEnv === 'production') {
    app.addHook('onReady', async () => {
      const env = environment
      if (env === null) return
      for (const name of templateNames(VIEWS_DIR)) {
        env.getTemplate(name, true)
        await setImmediatePromise()
      }
    })
  }

  app.decorateReply('renderPage', async function (this: FastifyReply, template: string, data: Record<string, unknown> = {}): Promise<RenderedPage> {
    const request = this.request
    // A page is rendered even when settings cannot be read at all (the database down since start):
    // with the defaults. Without this the error page for the outage failed too.
    const site = await app.settings.all().catch(() => app.settings.lastKnown())
    let footerLinks: FooterLink[] = []
    try {
      footerLinks = JSON.parse(site.footer_links) as FooterLink[]
    } catch {
      footerLinks = []
    }
    // Switched-off features disappear from the footer.
    footerLinks = footerLinks.filter((l) =>
      !(l.url.startsWith('/darkroom') && site.darkroom_enabled !== '1') &&
      !(l.url.startsWith('/archiver') && site.archiver_enabled !== '1'))
    tz = effectiveTimeZone(site.site_timezone, opts.config.siteTimezone)
    const now = app.clock.now()
    const locals = {
      site,
      footerLinks,
      user: request.user,
      // Staff links (管理, 审核, 禁止发言) only for those who may use them: a banned moderator may not.
      isStaff: can(request.user, { action: 'moderate' }, now),
      currentUrl: request.url,
      // 手机版 / 电脑版 when the visitor chose one (a cookie; the guest cache keys copies by it).
      layoutVariant: variantFromCookie(request.headers.cookie),
      assetVersion: version,
      siteTime: `${gmtLabel(now, tz)}, ${formatDateTime(now, tz)}`,
      // A function, so only pages that render a form get a token (and then are never cached for others).
      csrfToken: () => {
        personal = true
        return this.formToken()
      },
      ...data
    }
    let personal = request.user !== null
    const html = await this.viewAsync(template, locals)
    // A page with a form token (or a member's page) must not be kept by a browser or a shared cache.
    if (personal) this.header('Cache-Control', PRIVATE_NO_STORE)
    return { html, personal }
  })

  app.decorateReply('render', async function (this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const page = await this.renderPage(template, data)
    this.type('text/html; charset=utf-8')
    return this.send(page.html)
  })
}, { name: 'view', dependencies: ['settings', 'clock', 'security'] })

/** Every template under `dir`, as nunjucks names them (paths relative to it, with forward slashes). */
export function templateNames (dir: string, prefix = ''): string[] {
  const names: string[] = []
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) names.push(...templateNames(dir, name))
    else if (entry.name.endsWith('.njk')) names.push(name)
  }
  return names.sort()
}
