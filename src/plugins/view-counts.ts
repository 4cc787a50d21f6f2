import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { ViewCounter, startFlushing, type ViewStore } from '../lib/view-counter'
import { isCrawler, userAgentOf, visitorHash } from '../lib/visitor'
import type { AppConfig } from '../config'

/**
 * The app's view counter: features register the table behind a kind ('article' → articles.views,
 * 'thread' → threads.views) and call `app.viewCounts.countView(kind, id, request)` from a page; the
 * count a page shows is `app.viewCounts.shown(kind, id, stored)` (the guest page cache calls it).
 * Flushed every half second and on close (SIGINT/SIGTERM drain).
 */

declare module 'fastify' {
  interface FastifyInstance {
    viewCounts: AppViewCounts
  }
}

export interface AppViewCounts {
  /** Declares which table holds the counts of a kind (its `id` and `views` columns). */
  registerKind: (kind: string, table: string) => void
  /** Counts a page view unless it is a HEAD request, a crawler or a repeat within the dedupe window. */
  countView: (kind: string, id: number, request: FastifyRequest) => Promise<boolean>
  /** The same for a guest's request answered before Fastify (the guest page cache's front door). */
  countGuestView: (kind: string, id: number, guest: GuestVisit) => Promise<boolean>
  /**
   * The number of views a page shows, given the stored count it read: the one formula for every page
   * and for every copy the guest cache answers (stored + this process's unflushed views, never lower than
   * a count shown before, so a stored count read before a flush does not make it go backwards).
   */
  shown: (kind: string, id: number, stored: number) => number
  /** Views this process has counted since it started (diagnostics for tests; not part of the shown count). */
  countedFor: (kind: string, id: number) => number
  flush: () => Promise<void>
}

/** A guest's request as the front door sees it: the client address the way Fastify's `request.ip` gives it. */
export interface GuestVisit { method: string | undefined, ip: string, userAgent: string }

/** Half a second, so that a crash loses at most the last second of views (startFlushing says why). */
export const FLUSH_INTERVAL_MS = 500

function knexStore (db: Knex, tables: ReadonlyMap<string, string>): ViewStore {
  return {
    async addViews (kind, increments) {
      const table = tables.get(kind)
      if (table === undefined) throw new Error(`unknown view kind ${kind}`)
      // One statement per kind: views = views + CASE id WHEN ? THEN ? … END (additive, no read).
      const ids = [...increments.keys()]
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500)
        const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ')
        const bindings: number[] = []
        for (const id of chunk) bindings.push(id, increments.get(id) ?? 0)
        // No query timeout (DATABASE_TIMEOUT_MS, src/db/knex.ts): no request waits on a flush, and a
        // timed-out UPDATE may still run once a hung server wakes up (it sits in the server's socket
        // buffer; autocommit) while the increments go back for the next flush: counted twice. Waiting it
        // out keeps the count exact; a flush still pending at shutdown is cut by SHUTDOWN_DEADLINE_MS.
        await db(table)
          .whereIn('id', chunk)
          .update({ views: db.raw(`views + CASE id ${cases} ELSE 0 END`, bindings) })
          .options({ timeout: 0 })
      }
    }
  }
}

export default fp<{ config: AppConfig, flushIntervalMs?: number }>(async (app, opts) => {
  const tables = new Map<string, string>()
  const counter = new ViewCounter({
    store: knexStore(app.db, tables),
    dedupeSeconds: async () => Math.max(0, await app.settings.getNumber('view_dedupe_hours')) * 3600,
    now: () => app.clock.now()
  })

  const flushing = startFlushing(counter, opts.flushIntervalMs ?? FLUSH_INTERVAL_MS, (err) => { app.log.error({ err }, 'view count flush failed') })

  async function countGuest (kind: string, id: number, guest: GuestVisit): Promise<boolean> {
    if (guest.method !== 'GET' || isCrawler(guest.userAgent)) return false
    return await counter.hit(kind, id, `g${visitorHash(opts.config.sessionSecret, guest.ip, guest.userAgent)}`)
  }

  app.decorate('viewCounts', {
    registerKind: (kind: string, table: string) => { tables.set(kind, table) },
    async countView (kind, id, request) {
      if (request.user === null) return await countGuest(kind, id, { method: request.method, ip: request.ip, userAgent: userAgentOf(request) })
      if (request.method !== 'GET' || isCrawler(userAgentOf(request))) return false
      return await counter.hit(kind, id, `u${request.user.id}`)
    },
    countGuestView: countGuest,
    shown: (kind, id, stored) => counter.shown(kind, id, stored),
    countedFor: (kind, id) => counter.countedFor(kind, id),
    flush: async () => { await counter.flush() }
  } satisfies AppViewCounts)

  app.addHook('onClose', async () => {
    flushing.stop()
    await counter.flush()
  })
}, { name: 'view-counts', dependencies: ['db', 'settings', 'clock'] })
