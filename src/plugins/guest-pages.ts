import zlib from 'node:zlib'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MicroCache } from '../lib/micro-cache'
import { GzipAroundValue, acceptsGzip } from '../lib/gzip-parts'
import { isCrawler, userAgentOf } from '../lib/visitor'
import { SESSION_COOKIE } from './session'
import type { RenderedPage } from './view'

/**
 * The guest page cache: a rendered page is kept for about a second (the micro-cache), and while it is
 * fresh a guest's request for the same URL is answered from an onRequest hook that runs before the
 * session, CSRF and auth plugins. When a hot article is shared in a group chat, thousands of guests ask
 * for one page within a second; each of them then costs a lookup, a view count and a socket write
 * instead of the whole plugin chain (a session object per cookieless request was the largest part).
 *
 * Pages are stored as bytes (no UTF-8 encoding per response). A page that shows a view count holds a
 * marker where the count goes; every hit counts its view first and writes the current count there.
 */

declare module 'fastify' {
  interface FastifyInstance {
    guestPages: GuestPages
  }
}

/** Stands for the view count in a rendered page: replaced by digits on every response, never by user text. */
export const VIEWS_MARKER = '__LUNTAN_VIEW_COUNT__'

export interface GuestPageOptions {
  /** Every response of this page counts a view of (kind, id); `shown` is the count the page shows (at VIEWS_MARKER). */
  view?: { kind: string, id: number, shown?: number }
  /** Content validators (the Archiver's): ETag, Last-Modified and a public Cache-Control, 304 on a match. */
  validators?: { tag: string, lastModified: number }
  /** Served from the cache to crawlers only (the Archiver when human browsers are sent to the full pages). */
  crawlersOnly?: boolean
}

export interface GuestPages {
  /** Answers from a fresh cached copy of this URL (a guest's request); false when there is none. */
  serveCached: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>
  /**
   * Sends a page just rendered (the view, if any, already counted), with the count in place of the
   * marker, and keeps a copy for other guests when it is a guest's page without a form token.
   */
  send: (request: FastifyRequest, reply: FastifyReply, page: RenderedPage, options?: GuestPageOptions) => Promise<FastifyReply>
}

interface CachedPage {
  /** The body before the view-count marker, or the whole body when the page shows no count. */
  head: Buffer
  tail: Buffer | null
  view: { kind: string, id: number, shown: number, countedAtStore: number } | null
  validators: Validators | null
  crawlersOnly: boolean
  /** Compressed on the first request that accepts gzip: the whole page, or the parts around the count. */
  gzipWhole?: Buffer
  gzipParts?: GzipAroundValue
}

const HTML = 'text/html; charset=utf-8'
/** Bodies smaller than this go uncompressed (here and in the compress plugin, app.ts). */
export const COMPRESS_THRESHOLD = 1024
const GUEST_CACHE_MS = 1000
const SESSION_COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=`)

interface Validators { etag: string, lastModified: number, lastModifiedHeader: string }

function validatorsOf (tag: string, lastModified: number): Validators {
  return { etag: `W/"${tag}"`, lastModified, lastModifiedHeader: new Date(lastModified * 1000).toUTCString() }
}

/** Sets ETag, Last-Modified and Cache-Control, and tells whether the client's copy is current (answer 304). */
function checkValidators (request: FastifyRequest, reply: FastifyReply, v: Validators): boolean {
  void reply.header('ETag', v.etag)
  void reply.header('Last-Modified', v.lastModifiedHeader)
  void reply.header('Cache-Control', request.user === null ? 'public, max-age=60' : 'private, max-age=0')
  const ifNoneMatch = request.headers['if-none-match']
  if (typeof ifNoneMatch === 'string') return ifNoneMatch === v.etag || ifNoneMatch.split(',').some((t) => t.trim() === v.etag)
  const since = request.headers['if-modified-since']
  if (typeof since === 'string') {
    const t = Date.parse(since)
    return !Number.isNaN(t) && Math.floor(t / 1000) >= v.lastModified
  }
  return false
}

/**
 * Sets the validators and tells whether the client's copy is current (then the caller answers 304).
 * The tag covers everything the page shows, so it changes when the page does.
 */
export function answerNotModified (request: FastifyRequest, reply: FastifyReply, tag: string, lastModified: number): boolean {
  return checkValidators(request, reply, validatorsOf(tag, lastModified))
}

export default fp<{ ttlMs?: number }>(async (app, opts) => {
  const pages = new MicroCache<CachedPage>(opts.ttlMs ?? GUEST_CACHE_MS)

  async function serveCached (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const page = pages.get(request.url, app.clock.nowMs())
    if (page === undefined || (page.crawlersOnly && !isCrawler(userAgentOf(request)))) return false
    if (page.view !== null) await app.viewCounts.countView(page.view.kind, page.view.id, request)
    if (page.validators !== null && checkValidators(request, reply, page.validators)) {
      await reply.code(304).send()
      return true
    }
    const shown = page.tail === null || page.view === null
      ? null
      : String(page.view.shown + app.viewCounts.countedFor(page.view.kind, page.view.id) - page.view.countedAtStore)
    void reply.type(HTML).header('Vary', 'Accept-Encoding')
    // Compressed once per cached copy, not per response (the compress plugin skips a body that has its encoding).
    if (page.head.length + (page.tail?.length ?? 0) >= COMPRESS_THRESHOLD && acceptsGzip(request.headers['accept-encoding'])) {
      void reply.header('Content-Encoding', 'gzip')
      if (shown === null || page.tail === null) {
        page.gzipWhole ??= zlib.gzipSync(page.head)
        await reply.send(page.gzipWhole)
      } else {
        page.gzipParts ??= new GzipAroundValue(page.head, page.tail)
        await reply.send(page.gzipParts.compose(shown))
      }
      return true
    }
    await reply.send(shown === null || page.tail === null ? page.head : Buffer.concat([page.head, Buffer.from(shown), page.tail]))
    return true
  }

  /**
   * One render per page when its copy expires under load: the first guest to miss renders, and guests
   * asking for the same URL meanwhile wait for that copy instead of all rendering it at once (each
   * render costs milliseconds; a burst of them is what stretched the slowest responses).
   */
  interface Flight { done: Promise<void>, land: () => void }
  const flights = new Map<string, Flight>()
  const flightOf = new WeakMap<FastifyRequest, Flight>()
  function land (request: FastifyRequest): void {
    const flight = flightOf.get(request)
    if (flight === undefined) return
    flightOf.delete(request)
    if (flights.get(request.url) === flight) flights.delete(request.url)
    flight.land()
  }

  app.decorate('guestPages', {
    serveCached,
    async send (request, reply, page, options = {}) {
      const shown = options.view?.shown
      if (request.user === null && !page.personal) {
        const at = page.html.indexOf(VIEWS_MARKER)
        const view = options.view
        pages.set(request.url, {
          head: Buffer.from(at === -1 ? page.html : page.html.slice(0, at)),
          tail: at === -1 ? null : Buffer.from(page.html.slice(at + VIEWS_MARKER.length)),
          view: view === undefined ? null : { kind: view.kind, id: view.id, shown: view.shown ?? 0, countedAtStore: app.viewCounts.countedFor(view.kind, view.id) },
          validators: options.validators === undefined ? null : validatorsOf(options.validators.tag, options.validators.lastModified),
          crawlersOnly: options.crawlersOnly ?? false
        }, app.clock.nowMs())
        land(request)
      }
      const html = shown === undefined ? page.html : page.html.replace(VIEWS_MARKER, String(shown))
      return await reply.type(HTML).send(html)
    }
  } satisfies GuestPages)

  const caching = (opts.ttlMs ?? GUEST_CACHE_MS) > 0

  // Before the session plugin: a request without a session cookie is a guest's, and a guest's page
  // needs no session, CSRF secret or member lookup. (Guests holding a session, say after opening the
  // login form, go the long way; their routes call serveCached themselves.)
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    const cookie = request.headers.cookie
    if (cookie !== undefined && SESSION_COOKIE_PATTERN.test(cookie)) return
    if (await serveCached(request, reply)) return reply
    if (!caching) return
    const inFlight = flights.get(request.url)
    if (inFlight !== undefined) {
      await inFlight.done
      if (await serveCached(request, reply)) return reply
      return // the page was not cacheable (an error, a crawler-only copy): render as usual
    }
    let resolve = (): void => {}
    const flight: Flight = { done: new Promise<void>((r) => { resolve = r }), land: () => { resolve() } }
    flights.set(request.url, flight)
    flightOf.set(request, flight)
  })
  // The copy is stored before the response is written (send), or the request ends without one.
  app.addHook('onResponse', async (request) => { land(request) })
  app.addHook('onRequestAbort', async (request) => { land(request) })
}, { name: 'guest-pages', dependencies: ['clock', 'view-counts'] })
