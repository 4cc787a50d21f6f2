import fp from 'fastify-plugin'
import nunjucks from 'nunjucks'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MicroCache } from '../lib/micro-cache'
import { canonicalCacheKey, guestCacheKey } from '../lib/cache-key'
import { cutAtHoles, fillHoles, hasHoles, holeMarker, ifSectionStart, isPlainMember, ownSectionStart, sectionEnd, type HoledPage } from '../lib/member-holes'
import { VIEWS_MARKER, type GuestPageOptions } from './guest-pages'
import type { RenderedPage } from './view'

/**
 * The member copy (issue #19): a plain member's page is the page every plain member sees, rendered once
 * a second per (canonical URL, layout), with holes (src/lib/member-holes.ts) where one member's page
 * differs from another's; each request fills them from cheap data:
 * - `menu`: the header's member menu (avatar, name, 提醒 count, 设置, 退出), rendered per request from
 *   views/partials/_member-menu.njk with the member as auth loaded them (cached one second);
 * - `csrf`: this session's form token, in every form of the page;
 * - owner's sections: edit and delete links on comments and posts, kept only for their author;
 * - the page's own holes, valued by the route's `personal` callback (the member's own 表态 on an article).
 *
 * Who gets the full per-request render instead (as before this plugin): staff, 版主, banned and limited
 * members (isPlainMember), a request whose URL is not canonical (`?quote=`, `?pending=1`), a member the
 * route's `personal` callback refuses (their pending comment on the article, a new member's posting wait),
 * a member the copy names in `fullRenderFor` (the article's author, authors of pending posts on the
 * page), and a member who wrote something (a successful POST of theirs) on this process after the copy was
 * rendered, so their own comment, reply or 表态 shows on the page they are sent back to.
 *
 * A copy is rendered from one member's request with that member's data everywhere but in the holes;
 * it is kept only when it names no member (no pending content of theirs, not the article's author).
 */

declare module 'fastify' {
  interface FastifyInstance {
    memberPages: MemberPages
  }
}

/** The values of a page's own holes for one member; null: this member gets the full render. */
export type PersonalHoles = Record<string, string> | null

export interface MemberCopyOptions {
  view?: GuestPageOptions['view']
  /** Members who must never be given this copy (the article's author, authors of pending posts shown on it). */
  fullRenderFor?: Iterable<number>
}

export interface MemberPages {
  /**
   * For a member's request: answers from the member copy, holes filled (true), or decides whether this
   * request renders the next copy (false: render with `copyLocals`, then `send`). `personal` gives the
   * page's own hole values for this member, or null for the full render.
   */
  serveCached: (request: FastifyRequest, reply: FastifyReply, personal?: () => Promise<PersonalHoles>) => Promise<boolean>
  /** Locals for renderPage: in a copy render, form tokens and per-member parts become holes. */
  copyLocals: (request: FastifyRequest) => Record<string, unknown>
  /** Sends a page just rendered: a copy is kept (when it names nobody) and filled for this member; every other page goes to guestPages.send. */
  send: (request: FastifyRequest, reply: FastifyReply, page: RenderedPage, options?: MemberCopyOptions) => Promise<FastifyReply>
  /** Answers given from a kept copy, and pages rendered with holes (kept or not): the tests tell reuse from rendering by them. */
  readonly answered: { fromCopy: number, copiesRendered: number }
}

interface MemberCopy {
  page: HoledPage
  view: { kind: string, id: number, stored: number } | null
  fullRenderFor: ReadonlySet<number>
  renderedAtMs: number
}

interface RequestState {
  key: string
  values: Record<string, string>
  /** This request renders a copy (with holes), started at this time. */
  rendersCopyAt: number | null
}

const HTML = 'text/html; charset=utf-8'
/** The oldest copy given while another request renders the next one (as for guests, guest-pages.ts). */
const STALE_MAX_MS = 10_000
/** Members' own hole values kept (one per member and page read within the second). */
const PERSONAL_MAX = 20_000
/** Writers remembered (their last successful POST): at most this many, the oldest forgotten first. */
const WRITERS_MAX = 20_000

export default fp<{ ttlMs?: number }>(async (app, opts) => {
  const ttlMs = opts.ttlMs ?? 1000
  const copies = new MicroCache<MemberCopy>(ttlMs)
  const personalCache = new MicroCache<{ values: PersonalHoles, atMs: number }>(ttlMs, PERSONAL_MAX)
  const states = new WeakMap<FastifyRequest, RequestState>()
  const lastWriteMs = new Map<number, number>()
  /**
   * Copies being rendered now. When a copy expires under load, the first request renders the next one and
   * the others are given the expired copy (up to STALE_MAX_MS old) meanwhile: without this, every member
   * request arriving in that moment rendered a page of its own (64 renders at once at 64 connections).
   */
  const rendering = new Set<string>()
  const answered = { fromCopy: 0, copiesRendered: 0 }

  const holeLocal = (name: string): nunjucks.runtime.SafeString => new nunjucks.runtime.SafeString(holeMarker(name))
  const ownStartLocal = (authorId: unknown): nunjucks.runtime.SafeString => new nunjucks.runtime.SafeString(typeof authorId === 'number' ? ownSectionStart(authorId) : ownSectionStart(0) /* a guest's comment: nobody's */)
  const ifStartLocal = (name: string): nunjucks.runtime.SafeString => new nunjucks.runtime.SafeString(ifSectionStart(name))
  const endLocal = (): nunjucks.runtime.SafeString => new nunjucks.runtime.SafeString(sectionEnd())

  /** A successful write by a member: their pages on this process are rendered fresh until a copy newer than it exists. */
  app.addHook('onResponse', async (request, reply) => {
    if (ttlMs <= 0 || request.method === 'GET' || request.method === 'HEAD' || request.user === null || reply.statusCode >= 400) return
    lastWriteMs.delete(request.user.id)
    lastWriteMs.set(request.user.id, app.clock.nowMs())
    if (lastWriteMs.size > WRITERS_MAX) {
      const oldest = lastWriteMs.keys().next().value
      if (oldest !== undefined) lastWriteMs.delete(oldest)
    }
  })

  /** The member's page from a copy: the holes filled for them, the view count in place. */
  async function fill (copy: MemberCopy, request: FastifyRequest, reply: FastifyReply, values: Record<string, string>): Promise<string> {
    const user = request.user
    if (user === null) throw new Error('a member copy filled for a guest')
    let token: string | undefined
    const csrfToken = (): string => (token ??= reply.formToken())
    const menu = await app.view('partials/_member-menu.njk', { user, isStaff: false, csrfToken })
    const html = fillHoles(copy.page, user.id, (name) => name === 'csrf' ? csrfToken() : name === 'menu' ? menu : values[name])
    const shown = copy.view === null ? '0' : String(app.viewCounts.shown(copy.view.kind, copy.view.id, copy.view.stored))
    return html.includes(VIEWS_MARKER) ? html.replaceAll(VIEWS_MARKER, shown) : html
  }

  async function answer (html: string, reply: FastifyReply): Promise<FastifyReply> {
    // A member's page: never kept by a browser or a shared cache (as renderPage says for every member page).
    void reply.header('Cache-Control', 'private, no-store')
    return await reply.type(HTML).send(html)
  }

  /**
   * The page's own hole values for this member (their 表态, whether a comment of theirs waits for review
   * there), reused for the copy's window: a member reading a page again within the second costs no
   * query, as their session and user rows cost none (session.ts, auth.ts). Their own write on this process
   * forgets it at once (lastWriteMs); one on another process shows within that second, the window a ban or
   * a changed setting has.
   */
  async function personalValues (cacheKey: string, userId: number, nowMs: number, personal: () => Promise<PersonalHoles>): Promise<PersonalHoles> {
    const cached = personalCache.get(cacheKey, nowMs)
    if (cached !== undefined && cached.atMs > (lastWriteMs.get(userId) ?? -Infinity)) return cached.values
    const values = await personal()
    personalCache.set(cacheKey, { values, atMs: nowMs }, nowMs)
    return values
  }

  function copyMay (copy: MemberCopy, userId: number): boolean {
    return !copy.fullRenderFor.has(userId) && copy.renderedAtMs > (lastWriteMs.get(userId) ?? -Infinity)
  }

  async function serveCached (request: FastifyRequest, reply: FastifyReply, personal?: () => Promise<PersonalHoles>): Promise<boolean> {
    const user = request.user
    if (ttlMs <= 0 || request.method !== 'GET' || !isPlainMember(user, app.clock.now())) return false
    // Only the canonical URL: `?quote=` fills a form, `?pending=1` shows a notice, `?r=` changes the login link.
    if (canonicalCacheKey(request.url) !== request.url) return false
    const key = guestCacheKey(request.url, request.headers.cookie)
    if (key === null) return false
    const nowMs = app.clock.nowMs()
    const values = personal === undefined ? {} : await personalValues(`${user.id}:${key}`, user.id, nowMs, personal)
    if (values === null) return false
    const copy = copies.get(key, nowMs) ?? (rendering.has(key) ? copies.getStale(key, nowMs, STALE_MAX_MS) : undefined)
    if (copy !== undefined && copyMay(copy, user.id)) {
      if (copy.view !== null) await app.viewCounts.countView(copy.view.kind, copy.view.id, request)
      const html = await fill(copy, request, reply, values)
      answered.fromCopy++
      await answer(html, reply)
      return true
    }
    states.set(request, { key, values, rendersCopyAt: nowMs })
    rendering.add(key)
    return false
  }

  // The renderer's request is over (sent, or failed before it could send): others render or wait no more.
  app.addHook('onResponse', async (request) => {
    const state = states.get(request)
    if (state?.rendersCopyAt != null) rendering.delete(state.key)
  })

  function copyLocals (request: FastifyRequest): Record<string, unknown> {
    if (states.get(request)?.rendersCopyAt == null) return { memberCopy: false }
    return {
      memberCopy: true,
      csrfToken: () => holeLocal('csrf'),
      hole: holeLocal,
      ownStart: ownStartLocal,
      ifStart: ifStartLocal,
      sectionEnd: endLocal
    }
  }

  async function send (request: FastifyRequest, reply: FastifyReply, page: RenderedPage, options: MemberCopyOptions = {}): Promise<FastifyReply> {
    const state = states.get(request)
    const user = request.user
    if (state?.rendersCopyAt == null || user === null) {
      if (hasHoles(page.html)) throw new Error('hole markers in a page not rendered as a member copy')
      return await app.guestPages.send(request, reply, page, options.view === undefined ? {} : { view: options.view })
    }
    const view = options.view
    const copy: MemberCopy = {
      page: cutAtHoles(page.html),
      view: view === undefined ? null : { kind: view.kind, id: view.id, stored: view.stored ?? 0 },
      fullRenderFor: new Set(options.fullRenderFor ?? []),
      renderedAtMs: state.rendersCopyAt
    }
    answered.copiesRendered++
    // Rendered with this member's data outside the holes: kept only when nothing on it is theirs alone.
    if (!copy.fullRenderFor.has(user.id)) copies.set(state.key, copy, state.rendersCopyAt)
    return await answer(await fill(copy, request, reply, state.values), reply)
  }

  app.decorate('memberPages', { serveCached, copyLocals, send, answered } satisfies MemberPages)
}, { name: 'member-pages', dependencies: ['clock', 'view-counts', 'guest-pages', 'view', 'security'] })
