import crypto from 'node:crypto'
import zlib from 'node:zlib'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import nunjucks from 'nunjucks'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MicroCache } from '../lib/micro-cache'
import { GzipAroundValue, acceptsGzip } from '../lib/gzip-parts'
import { isCrawler, userAgentOf } from '../lib/visitor'
import type { FrontDoor } from '../lib/front-door'
import { clientAddress, requestProtocol, type TrustFunction } from '../lib/trust-proxy'
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

/**
 * Stands for the view count in a rendered page: replaced by digits on every response. User text can
 * never produce it: it is random per process start (never sent: every copy of it is replaced), and it
 * holds `<` and `>`, which autoescape turns into entities in anything a user wrote (titles, bodies,
 * comments; Markdown bodies go through sanitize-html, which drops comments). Templates print it with
 * `viewsMarker` (a SafeString), and `send` checks that the page holds it exactly once. (The fixed
 * `__LUNTAN_VIEW_COUNT__` it replaces was captured by a thread of that title: `<title>` got the count.)
 */
export const VIEWS_MARKER = `<!--luntan-views-${crypto.randomBytes(16).toString('hex')}-->`

/** The marker for a template's locals: printed as is, not escaped (it is ours, not user text). */
export function viewsMarker (): nunjucks.runtime.SafeString {
  return new nunjucks.runtime.SafeString(VIEWS_MARKER)
}

/** Where the marker is when the page holds it exactly once; -1 otherwise (none, or a template printing it twice). */
function markerAt (html: string): number {
  const at = html.indexOf(VIEWS_MARKER)
  return at !== -1 && html.indexOf(VIEWS_MARKER, at + VIEWS_MARKER.length) === -1 ? at : -1
}

export interface GuestPageOptions {
  /** Every response of this page counts a view of (kind, id); `shown` is the count the page shows (at VIEWS_MARKER). */
  view?: { kind: string, id: number, shown?: number }
  /** Content validators (the Archiver's): ETag, Last-Modified and a public Cache-Control, 304 on a match. */
  validators?: { tag: string, lastModified: number }
  /** Served from the cache to crawlers only (the Archiver when human browsers are sent to the full pages). */
  crawlersOnly?: boolean
  /** `X-Robots-Tag: noindex` on this answer and on every copy served from the cache (the darkroom: members' names and ban reasons). */
  noindex?: boolean
}

export interface GuestPages {
  /** Answers from a fresh cached copy of this URL (a guest's request); false when there is none. */
  serveCached: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>
  /**
   * Sends a page just rendered (the view, if any, already counted), with the count in place of the
   * marker, and keeps a copy for other guests when it is a guest's page without a form token.
   */
  send: (request: FastifyRequest, reply: FastifyReply, page: RenderedPage, options?: GuestPageOptions) => Promise<FastifyReply>
  /** How many answers came from a cached copy: at the front door, or inside Fastify (hooks and routes). The tests read it to tell the two paths apart. */
  readonly answered: { beforeFastify: number, inFastify: number }
}

interface CachedPage {
  /** The body before the view-count marker, or the whole body when the page shows no count. */
  head: Buffer
  tail: Buffer | null
  view: { kind: string, id: number, shown: number, countedAtStore: number } | null
  validators: Validators | null
  crawlersOnly: boolean
  /** Content-Type, Vary and the validators: every answer's headers but the length and encoding. */
  headers: HeaderList
  /** Compressed on the first request that accepts gzip: the whole page, or the parts around the count. */
  gzipWhole?: Buffer
  gzipParts?: GzipAroundValue
}

type HeaderList = ReadonlyArray<readonly [string, string]>

const NOINDEX = ['X-Robots-Tag', 'noindex'] as const

/** A cached page's answer to one request: the page's headers and the body, null for a 304. */
interface Answer { status: 200 | 304, headers: HeaderList, body: Buffer | null }

const HTML = 'text/html; charset=utf-8'
/** Bodies smaller than this go uncompressed (here and in the compress plugin, app.ts). */
export const COMPRESS_THRESHOLD = 1024
const GUEST_CACHE_MS = 1000
/** The oldest copy given to guests while the next one renders; past this they wait for the render. */
const STALE_MAX_MS = 10_000
const SESSION_COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=`)

interface Validators { etag: string, lastModified: number, lastModifiedHeader: string }

function validatorsOf (tag: string, lastModified: number): Validators {
  return { etag: `W/"${tag}"`, lastModified, lastModifiedHeader: new Date(lastModified * 1000).toUTCString() }
}

function validatorHeaders (v: Validators, guest: boolean): HeaderList {
  return [['ETag', v.etag], ['Last-Modified', v.lastModifiedHeader], ['Cache-Control', guest ? 'public, max-age=60' : 'private, max-age=0']]
}

/** Whether the client's copy is current (answer 304): If-None-Match decides when sent, else If-Modified-Since. */
function clientCopyIsCurrent (headers: IncomingHttpHeaders, v: Validators): boolean {
  const ifNoneMatch = headers['if-none-match']
  if (typeof ifNoneMatch === 'string') return ifNoneMatch === v.etag || ifNoneMatch.split(',').some((t) => t.trim() === v.etag)
  const since = headers['if-modified-since']
  if (typeof since === 'string') {
    const t = Date.parse(since)
    return !Number.isNaN(t) && Math.floor(t / 1000) >= v.lastModified
  }
  return false
}

/**
 * Sets ETag, Last-Modified and Cache-Control, and tells whether the client's copy is current (then the
 * caller answers 304). The tag covers everything the page shows, so it changes when the page does.
 */
export function answerNotModified (request: FastifyRequest, reply: FastifyReply, tag: string, lastModified: number): boolean {
  const v = validatorsOf(tag, lastModified)
  for (const [name, value] of validatorHeaders(v, request.user === null)) void reply.header(name, value)
  return clientCopyIsCurrent(request.headers, v)
}

export default fp<{ ttlMs?: number, frontDoor?: FrontDoor, trustProxy?: TrustFunction }>(async (app, opts) => {
  const pages = new MicroCache<CachedPage>(opts.ttlMs ?? GUEST_CACHE_MS)
  const answered = { beforeFastify: 0, inFastify: 0 }
  // Flat (name, value, name, value…): the form writeHead takes without building a header object.
  const securityHeaders = { http: Object.entries(app.securityHeadersFor(false)).flat(), https: Object.entries(app.securityHeadersFor(true)).flat() }

  /**
   * One render per page when its copy expires under load: the first guest to miss renders (the flight),
   * and while it does, guests asking for the same URL get the copy that just expired (at most
   * STALE_MAX_MS old; views are counted and shown live either way). Without a copy to give they wait for
   * the new one. (Before, every request arriving during a render waited for it: on MariaDB with 100,000
   * articles the portal home takes 100–200 ms to render, which was then every guest's p99.)
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

  /** A copy of this URL that this guest may be given: a fresh one, or the last one while another request renders the next. */
  function copyFor (url: string | undefined, headers: IncomingHttpHeaders, staleAllowed = true): CachedPage | undefined {
    if (url === undefined) return undefined
    const now = app.clock.nowMs()
    const page = pages.get(url, now) ?? (staleAllowed && flights.has(url) ? pages.getStale(url, now, STALE_MAX_MS) : undefined)
    if (page === undefined || (page.crawlersOnly && !isCrawler(userAgentOf({ headers })))) return undefined
    return page
  }

  /** The copy's answer, its view already counted: a 304, or the body with the current count, gzipped when accepted. */
  function answerOf (page: CachedPage, headers: IncomingHttpHeaders): Answer {
    if (page.validators !== null && clientCopyIsCurrent(headers, page.validators)) {
      return { status: 304, headers: page.headers, body: null }
    }
    const shown = page.tail === null || page.view === null
      ? null
      : String(page.view.shown + app.viewCounts.countedFor(page.view.kind, page.view.id) - page.view.countedAtStore)
    // Compressed once per cached copy, not per response (the compress plugin skips a body that has its encoding).
    if (page.head.length + (page.tail?.length ?? 0) >= COMPRESS_THRESHOLD && acceptsGzip(headers['accept-encoding'])) {
      let body: Buffer
      if (shown === null || page.tail === null) {
        page.gzipWhole ??= zlib.gzipSync(page.head)
        body = page.gzipWhole
      } else {
        page.gzipParts ??= new GzipAroundValue(page.head, page.tail)
        body = page.gzipParts.compose(shown)
      }
      return { status: 200, headers: [...page.headers, ['Content-Encoding', 'gzip']], body }
    }
    const body = shown === null || page.tail === null ? page.head : Buffer.concat([page.head, Buffer.from(shown), page.tail])
    return { status: 200, headers: page.headers, body }
  }

  /** A client that takes brotli or deflate but not gzip: left to Fastify's compress plugin (browsers all take gzip). */
  function wantsOnlyOtherEncodings (page: CachedPage, acceptEncoding: string | undefined): boolean {
    return acceptEncoding !== undefined && page.head.length + (page.tail?.length ?? 0) >= COMPRESS_THRESHOLD &&
      !acceptsGzip(acceptEncoding) && /\b(?:br|deflate)\b/i.test(acceptEncoding)
  }

  async function serveCached (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    // The request rendering the next copy (a cookieless guest reaching its route) must not take the last one.
    const page = copyFor(request.url, request.headers, !flightOf.has(request))
    if (page === undefined) return false
    if (page.view !== null) await app.viewCounts.countView(page.view.kind, page.view.id, request)
    const answer = answerOf(page, request.headers)
    for (const [name, value] of answer.headers) void reply.header(name, value)
    await reply.code(answer.status).send(answer.body ?? undefined)
    answered.inFastify++
    return true
  }

  /** Writes the answer on the raw response: the security headers Fastify's hook would have set, then the page's. */
  function writeRaw (page: CachedPage, req: IncomingMessage, res: ServerResponse): void {
    const answer = answerOf(page, req.headers)
    // The protocol as Fastify's request.protocol sees it (same trust function): HSTS only over HTTPS.
    const headers = [...securityHeaders[requestProtocol(req, trustProxy) === 'https' ? 'https' : 'http']]
    for (const [name, value] of answer.headers) headers.push(name, value)
    if (answer.body !== null) headers.push('Content-Length', String(answer.body.length))
    res.writeHead(answer.status, headers)
    res.end(answer.body ?? undefined) // a HEAD request's response drops the body itself
    answered.beforeFastify++
  }

  // The front door (src/lib/front-door.ts): a cookieless guest's request for a copy is answered before
  // Fastify builds its request and reply. Anything else, or a failure before the answer is written (the
  // view count's settings read), goes to Fastify, whose hook below tries the copy again.
  // The function Fastify was given (app.ts): the address here is exactly request.ip.
  const trustProxy = opts.trustProxy ?? ((): boolean => false)
  opts.frontDoor?.open((req, res, passOn) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const cookie = req.headers.cookie
    if (cookie !== undefined && SESSION_COOKIE_PATTERN.test(cookie)) return false
    const page = copyFor(req.url, req.headers)
    if (page === undefined || wantsOnlyOtherEncodings(page, req.headers['accept-encoding'])) return false
    if (page.view === null) {
      writeRaw(page, req, res)
      return true
    }
    const visit = { method: req.method, ip: clientAddress(req, trustProxy), userAgent: userAgentOf(req) }
    app.viewCounts.countGuestView(page.view.kind, page.view.id, visit).then(() => { writeRaw(page, req, res) }).catch(passOn)
    return true
  }, app.log)
  // While the server drains, Fastify answers (503 with Connection: close for requests on open sockets).
  app.addHook('preClose', async () => { opts.frontDoor?.shut() })

  app.decorate('guestPages', {
    serveCached,
    answered,
    async send (request, reply, page, options = {}) {
      const shown = options.view?.shown
      const at = markerAt(page.html)
      // A page that counts views is kept only with exactly one place for the count: a copy without it
      // would show a frozen count to every guest while counting their views.
      const cacheable = shown === undefined ? !page.html.includes(VIEWS_MARKER) : at !== -1
      if (request.user === null && !page.personal && cacheable) {
        const view = options.view
        const cachedValidators = options.validators === undefined ? null : validatorsOf(options.validators.tag, options.validators.lastModified)
        pages.set(request.url, {
          head: Buffer.from(at === -1 ? page.html : page.html.slice(0, at)),
          tail: at === -1 ? null : Buffer.from(page.html.slice(at + VIEWS_MARKER.length)),
          view: view === undefined ? null : { kind: view.kind, id: view.id, shown: view.shown ?? 0, countedAtStore: app.viewCounts.countedFor(view.kind, view.id) },
          validators: cachedValidators,
          crawlersOnly: options.crawlersOnly ?? false,
          headers: [['Content-Type', HTML], ['Vary', 'Accept-Encoding'], ...(cachedValidators === null ? [] : validatorHeaders(cachedValidators, true)), ...(options.noindex === true ? [NOINDEX] : [])]
        }, app.clock.nowMs())
        land(request)
      }
      // Every copy of the marker: it must never reach a browser, even from a template printing it twice.
      const html = page.html.includes(VIEWS_MARKER) ? page.html.replaceAll(VIEWS_MARKER, String(shown ?? 0)) : page.html
      if (options.noindex === true) void reply.header(NOINDEX[0], NOINDEX[1])
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
      // The render began since the lookup above: the last copy if there is one, else its result.
      if (await serveCached(request, reply)) return reply
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
}, { name: 'guest-pages', dependencies: ['clock', 'view-counts', 'security-headers'] })
