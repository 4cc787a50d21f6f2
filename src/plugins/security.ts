import type { AppConfig } from '../config'
import fp from 'fastify-plugin'
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
    /** The headers every response carries (also written by the guest page cache's front door). */
    securityHeaders: Readonly<Record<string, string>>
  }
}

/**
 * Security headers on every response, cached guest pages included: registered before the guest page
 * cache and the session (see app.ts), whose early answers skip the plugins after them.
 */
export const securityHeadersPlugin = fp(async (app) => {
  const securityHeaders = helmetHeaders({
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
        baseUri: ["'self'"],
        upgradeInsecureRequests: null
      }
    },
    // Static assets are fetched cross-origin by nobody; keep the default same-origin policies.
    crossOriginEmbedderPolicy: false
  })
  app.decorate('securityHeaders', Object.freeze(securityHeaders))
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders)
    done()
  })
}, { name: 'security-headers' })

/**
 * Rate limiting and CSRF for the whole app.
 * CSRF: a synchroniser token whose secret lives in the session; every non-GET request must carry it
 * (form field `_csrf` or header `x-csrf-token`). A guest without a session cannot post at all.
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  // Not global: each route group opts in with `config: { rateLimit: {...} }` (login, posting).
  await app.register(rateLimit, { global: false, allowList: [...opts.config.rateLimitAllow] })

  await app.register(csrf, { sessionPlugin: '@fastify/session', getToken: (req) => {
    const body = req.body as Record<string, unknown> | undefined
    const fromBody = body !== undefined && body !== null && typeof body === 'object' ? body._csrf : undefined
    if (typeof fromBody === 'string') return fromBody
    const header = req.headers['x-csrf-token']
    return typeof header === 'string' ? header : undefined
  } })

  app.addHook('preHandler', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method)) {
      done()
      return
    }
    app.csrfProtection(request, reply, done)
  })
}, { name: 'security', dependencies: ['session', 'security-headers'] })
