import crypto from 'node:crypto'
import type { AppConfig } from '../config'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'
import rateLimit from '@fastify/rate-limit'
import csrf from '@fastify/csrf-protection'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Helmet's headers, computed once. (@fastify/helmet rebuilds the helmet middleware, CSP parsing
 * included, on every request: a measurable share of a cached page's cost.) Our policy has no
 * per-request parts (no nonces), so one set of headers serves every response.
 */
export function helmetHeaders (options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name] = Array.isArray(value) ? value.join(', ') : String(value) },
    removeHeader (name: string) { delete headers[name] },
    getHeader (name: string) { return headers[name] }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The headers every response carries, the one source for Fastify's hook, the front door and the
     * bare error page: HSTS only for a request that came over HTTPS (`request.protocol`, which honours
     * TRUST_PROXY), since browsers ignore it over HTTP and a site reached by plain HTTP must not send it.
     */
    securityHeadersFor: (https: boolean) => Readonly<Record<string, string>>
  }
  interface FastifyReply {
    /** A CSRF token for a form in this response (see the security plugin for where its secret lives). */
    formToken: () => string
  }
  interface FastifyContextConfig {
    /**
     * This POST may come without a token when the browser says it was sent from one of this site's own
     * pages (Sec-Fetch-Site: same-origin, or an Origin equal to the request's). Only for the header's
     * quick login box: it sits on every cached guest page, which cannot hold anyone's token. A request
     * carrying a token is checked as usual.
     */
    sameOriginWithoutToken?: boolean
  }
}

/**
 * Whether a browser sent this request from a page of this site. Browsers set Sec-Fetch-Site and Origin
 * themselves (a cross-site page cannot forge them); a tool that forges them is not a victim's browser,
 * which is what a CSRF token protects.
 */
function sentFromThisSite (request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site === 'same-origin'
  const origin = request.headers.origin
  return origin !== undefined && origin === `${request.protocol}://${request.host}`
}

function carriesToken (request: FastifyRequest): boolean {
  const body = request.body as Record<string, unknown> | undefined
  return (body !== undefined && body !== null && typeof body === 'object' && body._csrf !== undefined) || request.headers['x-csrf-token'] !== undefined
}

const HSTS = 'Strict-Transport-Security'

/**
 * Security headers on every response, cached guest pages included: registered before the guest page
 * cache and the session (see app.ts), whose early answers skip the plugins after them.
 */
export const securityHeadersPlugin = fp(async (app) => {
  const httpsHeaders = Object.freeze(helmetHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Inline <style> is needed by the Archiver's one-response pages; no user HTML can carry style (sanitizer).
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
        objectSrc: ["'none'"],
        // The captcha widget (altcha) runs its proof-of-work in workers it makes from blob: URLs of its own code.
        workerSrc: ["'self'", 'blob:'],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null
      }
    },
    // Static assets are fetched cross-origin by nobody; keep the default same-origin policies.
    crossOriginEmbedderPolicy: false
  }))
  const httpHeaders = Object.freeze(Object.fromEntries(Object.entries(httpsHeaders).filter(([name]) => name !== HSTS)))
  const securityHeadersFor = (https: boolean): Readonly<Record<string, string>> => https ? httpsHeaders : httpHeaders
  app.decorate('securityHeadersFor', securityHeadersFor)
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeadersFor(request.protocol === 'https'))
    done()
  })
}, { name: 'security-headers' })

/** The cookie holding the CSRF secret (signed, HttpOnly). */
export const CSRF_COOKIE = 'luntan_csrf'
// The session cookie's rules; no Max-Age: it ends with the browser session (a form left open longer
// than that asks for a refresh, as an expired session would).
const CSRF_COOKIE_OPTIONS = { path: '/', sameSite: 'lax', httpOnly: true, secure: 'auto', signed: true } as const

/**
 * What a CSRF token is bound to besides its secret: a member's session id (a token from another
 * session, or from before login, which gives a new id, is refused), or the fixed word for guests.
 */
function csrfUserInfo (request: FastifyRequest): string {
  return request.session.userId !== undefined ? `session:${request.session.sessionId}` : 'guest'
}

/**
 * Rate limiting and CSRF for the whole app.
 * CSRF: a synchroniser token; every non-GET request must carry it (form field `_csrf` or header
 * `x-csrf-token`). The secret lives in a signed HttpOnly cookie, not in the session: a guest opening the
 * login or registration form used to get a 30-day session row for it (thousands a minute under load).
 * A member's tokens are also bound to the session id (csrfUserInfo), so a cookie planted by someone else
 * does not make their tokens valid for a member, and login (a new session id) retires older forms.
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  // Not global: each route group opts in with `config: { rateLimit: {...} }` (login, posting).
  await app.register(rateLimit, { global: false, allowList: [...opts.config.rateLimitAllow] })

  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: CSRF_COOKIE_OPTIONS,
    csrfOpts: { hmacKey: opts.config.sessionSecret },
    getUserInfo: csrfUserInfo,
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined
      const fromBody = body !== undefined && body !== null && typeof body === 'object' ? body._csrf : undefined
      if (typeof fromBody === 'string') return fromBody
      const header = req.headers['x-csrf-token']
      if (typeof header === 'string') return header
      // A multipart form (picture upload without JavaScript) is read by its handler, after this check:
      // its token rides in the form's action URL (`?_csrf=`), so the file is never read before the
      // token is checked. Only for multipart bodies: every other form keeps its token out of URLs.
      if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
        const fromQuery = (req.query as Record<string, unknown> | undefined)?._csrf
        if (typeof fromQuery === 'string') return fromQuery
      }
      return undefined
    }
  })

  app.decorateReply('formToken', function (this: FastifyReply): string {
    const request = this.request
    const held = request.cookies[CSRF_COOKIE]
    if (held === undefined || !request.unsignCookie(held).valid) {
      // The secret is made here once per response and put where the plugin reads it: left to the plugin,
      // every form of a page (header logout, settings' two forms) made a secret and a Set-Cookie of its
      // own, the last one won, and every other form on the page failed its check.
      const secret = crypto.randomBytes(18).toString('base64url')
      void this.setCookie(CSRF_COOKIE, secret, CSRF_COOKIE_OPTIONS)
      request.cookies[CSRF_COOKIE] = this.signCookie(secret)
    }
    return this.generateCsrf({ userInfo: csrfUserInfo(request) })
  })

  // preValidation, not preHandler: the token is checked before the route's body schema, so a forged
  // request is refused as forged (403) by every route alike, not answered a 400 naming the form's fields
  // by the routes whose schema requires them (the CSRF suite in test/security/ found five).
  app.addHook('preValidation', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method)) {
      done()
      return
    }
    if (request.routeOptions.config.sameOriginWithoutToken === true && !carriesToken(request) && sentFromThisSite(request)) {
      done()
      return
    }
    app.csrfProtection(request, reply, done)
  })
}, { name: 'security', dependencies: ['session', 'security-headers'] })
