import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { legacyNotFound } from '../lib/http-errors'

/**
 * Discuz's script URLs (`/forum.php?mod=…`, `/misc.php?mod=…`, `/home.php?mod=…`) are shared by
 * several features (forum, darkroom, members). Only one route may own each path, so this plugin
 * owns them and every feature adds a resolver: `app.legacyUrls.add('forum.php', (query) => url | null)`.
 * A request answers 301 to the first resolver's non-null URL, in registration order, or 404. A resolver
 * may answer later (a lookup: where a post is) and with a 302 (a target that moves, like the last post).
 * Resolvers are looked up at request time, so features registered after this plugin can add theirs.
 */

export type LegacyQuery = Readonly<Record<string, string | string[] | undefined>>
/** A URL (301), or a URL with its status (302 for a target that changes over time). */
export type LegacyTarget = string | { url: string, status: 301 | 302 }
export type LegacyResolver = (query: LegacyQuery, request: FastifyRequest) => LegacyTarget | null | Promise<LegacyTarget | null>

export const LEGACY_SCRIPTS = ['forum.php', 'misc.php', 'home.php'] as const
export type LegacyScript = typeof LEGACY_SCRIPTS[number]

export interface LegacyUrls {
  add: (script: LegacyScript | `/${LegacyScript}`, resolver: LegacyResolver) => void
  /** The target the first matching resolver gives, or null. */
  resolve: (script: LegacyScript, query: LegacyQuery, request: FastifyRequest) => Promise<LegacyTarget | null>
}

/** The first value of a query parameter (`?a=1&a=2` gives '1'), or undefined. */
export function queryValue (query: LegacyQuery, name: string): string | undefined {
  const v = query[name]
  return Array.isArray(v) ? v[0] : v
}

declare module 'fastify' {
  interface FastifyInstance {
    legacyUrls: LegacyUrls
  }
}

export default fp(async (app) => {
  const resolvers = new Map<LegacyScript, LegacyResolver[]>(LEGACY_SCRIPTS.map((s) => [s, []]))
  const legacyUrls: LegacyUrls = {
    add (script, resolver) {
      const name = (script.startsWith('/') ? script.slice(1) : script) as LegacyScript
      const list = resolvers.get(name)
      if (list === undefined) throw new Error(`unknown legacy script ${script}`)
      list.push(resolver)
    },
    async resolve (script, query, request) {
      for (const resolver of resolvers.get(script) ?? []) {
        const target = await resolver(query, request)
        if (target !== null) return target
      }
      return null
    }
  }
  app.decorate('legacyUrls', legacyUrls)

  for (const script of LEGACY_SCRIPTS) {
    app.get<{ Querystring: LegacyQuery }>(`/${script}`, async (request, reply) => {
      const target = await legacyUrls.resolve(script, request.query, request)
      if (target === null) throw legacyNotFound()
      return typeof target === 'string' ? await reply.redirect(target, 301) : await reply.redirect(target.url, target.status)
    })
  }
}, { name: 'legacy-urls' })
