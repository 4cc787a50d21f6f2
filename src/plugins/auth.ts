import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { activeBan, can, type Action, type AuthUser } from '../lib/permissions'
import { HttpError } from '../lib/http-errors'
import { formatDateTime } from '../lib/dates'
import type { AppConfig } from '../config'
import { MicroCache } from '../lib/micro-cache'
import { PRIVATE_NO_STORE } from './view'

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in member, loaded fresh from the database on each request (so bans apply at once); null for guests. */
    user: AuthUser | null
  }
  interface FastifyInstance {
    /** The permission check bound to the app clock: `app.can(request.user, { action: 'write' })`. */
    can: (user: AuthUser | null, action: Action) => boolean
    /** Throws the right 401/403 page when the request's user may not do `action`. */
    requirePermission: (request: FastifyRequest, action: Action) => AuthUser
  }
}

/**
 * Who the member behind a session is. The members feature owns the `users` table and answers this
 * (app.ts passes `memberAuthSource(app.db)` from src/features/members in): auth stays a cross-cutting
 * plugin that knows no feature. It is not moved into the members feature because `request.user` and
 * `app.can` are read by other plugins too (view renders the member bar, view-counts and guest-pages
 * tell guests from members): those must not depend on a feature, so the decorations stay here and only
 * the lookup is handed in (dependency inversion rather than a plugin importing a repository).
 */
export interface AuthUserSource {
  /** The member with this id as permissions see them, or null when the account no longer exists. */
  findAuthUser: (id: number) => Promise<AuthUser | null>
}

// Paths a visit-banned member may still reach: they must be able to read why and to log out.
// Exact paths (with or without a query), so `/login-anything` or `/logout/x` stay behind the gate.
const VISIT_BAN_ALLOWED = /^\/(?:(?:login|logout)(?:\?|$)|static\/)/

/** The admin centre's routes: `/admin` and everything under `/admin/`. */
const ADMIN_ROUTE = /^\/admin(?:\/|$)/

/** How long a process reuses a member it loaded (issue #19): a ban, a lock or a new role applies within it, as a setting does. */
export const AUTH_USER_CACHE_MS = 1000
const AUTH_USER_CACHE_MAX = 20000

export default fp<{ config: AppConfig, users: AuthUserSource, cacheMs?: number }>(async (app, opts) => {
  // A member's page views within a second share one lookup (the user row, their bans, their boards):
  // at 64 members reading at once this was three queries of every page. Frozen copies, so no request
  // can change what the next one sees.
  const recent = new MicroCache<AuthUser | null>(opts.cacheMs ?? AUTH_USER_CACHE_MS, AUTH_USER_CACHE_MAX)
  const users: AuthUserSource = {
    findAuthUser: async (id) => await recent.getOrLoad(String(id), app.clock.nowMs(), async () => {
      const user = await opts.users.findAuthUser(id)
      return user === null ? null : Object.freeze(user)
    })
  }
  app.decorateRequest('user', null)
  app.decorate('can', (user: AuthUser | null, action: Action) => can(user, action, app.clock.now()))

  app.decorate('requirePermission', (request: FastifyRequest, action: Action): AuthUser => {
    const user = request.user
    if (user === null) {
      throw new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: '/login?return=' + encodeURIComponent(request.url) })
    }
    if (!can(user, action, app.clock.now())) {
      const ban = activeBan(user, app.clock.now())
      if (ban !== null && action.action !== 'admin') {
        // A banned moderator is told why the tools refuse them (the ban), not a bare "no permission".
        const until = ban.until === null ? '永久' : formatDateTime(ban.until, app.settings.lastKnownTimeZone())
        const tail = action.action === 'write' || action.action === 'edit-own' ? '' : '，禁言期间不能进行管理操作'
        throw new HttpError(403, `抱歉，您已被禁止发言，截止时间：${until}，理由：${ban.reason}${tail}`)
      }
      throw new HttpError(403, '抱歉，您没有权限进行此操作')
    }
    return user
  })

  // Whatever a member is answered (pages with form tokens, JSON, redirects, 304s) is theirs alone:
  // no browser history copy, no proxy copy. Static assets carry nothing personal and keep their cache.
  app.addHook('onSend', async (request, reply) => {
    // Nor do content-addressed files (stored pictures) that their route marks immutable.
    if (request.user !== null && !request.url.startsWith('/static/') && !String(reply.getHeader('cache-control') ?? '').includes('immutable')) void reply.header('Cache-Control', PRIVATE_NO_STORE)
  })

  // preValidation, not preHandler: the member is known before the route's body schema runs, so the
  // admin gate below answers a non-admin 403 before any form validation (a 400 naming the form's fields
  // told an editor what the form wants). After the CSRF check (src/plugins/security.ts, registered
  // earlier: hooks of one stage run in registration order), so a forged request is still refused first.
  app.addHook('preValidation', async (request) => {
    const userId = request.session.userId
    if (userId !== undefined) {
      const user = await users.findAuthUser(userId)
      if (user === null || user.locked === true) {
        // The account is gone, or an admin locked it: drop the stale login.
        delete request.session.userId
      } else {
        request.user = user
        const ban = activeBan(user, app.clock.now())
        if (ban?.type === 'visit' && !VISIT_BAN_ALLOWED.test(request.url)) {
          const until = ban.until === null ? '永不过期' : formatDateTime(ban.until, app.settings.lastKnownTimeZone())
          throw new HttpError(403, '抱歉，您已被禁止访问', { reason: ban.reason, until, banned: 'visit' })
        }
      }
    }
    // The one gate of the admin centre: every route under /admin is for admins, whatever its module
    // (each handler still asks requirePermission for the admin it acts as). By the route's pattern, not
    // the URL typed, so /admin.php (Discuz's old address, a 404) stays outside.
    if (ADMIN_ROUTE.test(request.routeOptions.url ?? '')) app.requirePermission(request, { action: 'admin' })
  })
}, { name: 'auth', dependencies: ['db', 'clock', 'settings', 'session'] })
