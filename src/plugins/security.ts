import type { AppConfig } from '../config'
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import csrf from '@fastify/csrf-protection'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Security headers, rate limiting and CSRF for the whole app.
 * CSRF: a synchroniser token whose secret lives in the session; every non-GET request must carry it
 * (form field `_csrf` or header `x-csrf-token`). A guest without a session cannot post at all.
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  await app.register(helmet, {
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
}, { name: 'security', dependencies: ['session'] })
