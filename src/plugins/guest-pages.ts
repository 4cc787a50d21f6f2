import crypto from 'node:crypto'
import zlib from 'node:zlib'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import fresh from 'fresh'
import nunjucks from 'nunjucks'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MicroCache } from '../lib/micro-cache'
import { canonicalCacheKey, guestCacheKey } from '../lib/cache-key'
import { GzipAroundValue, acceptsGzip } from '../lib/gzip-parts'
import { isCrawler, userAgentOf } from '../lib/visitor'
import type { FrontDoor } from '../lib/front-door'
import { clientAddress, requestProtocol, type TrustFunction } from '../lib/trust-proxy'
import { SESSION_COOKIE } from './session'
import type { RenderedPage } from './view'

/**
 * The guest page cache: a rendered page is kept for about a second (the micro-cache), and while it is
 * fresh a cookieless guest's request for the same page is answered at the front door
 * (src/lib/front-door.ts), before Fastify builds its request and reply. When a hot article is shared in
 * a group chat, thousands of guests ask for one page within a second; each of them then costs a lookup,
 * a view count and a socket write instead of the whole plugin chain.
 *
 * One answering path before Fastify, and it honours what a request inside Fastify gets: the client
 * address as `request.ip` computes it (the same trust function), the security headers of the one
 * `securityHeadersFor`, a sampled access-log line, and the gates (`addGate`): a global rule (load
 * shedding, an IP ban, maintenance) adds one, and a request a gate refuses goes down the full Fastify
 * path, where the rule's own hook answers. Inside Fastify a route may answer from the copy
 * (`serveCached`, after every hook has run: a guest holding a session cookie, a request the door passed
 * on), which is also where one request renders an expired page while the others get the last copy.
 *
 * Copies are kept under the canonical URL (src/lib/cache-key.ts): unknown query parameters are ignored.
 * Pages are stored as bytes (no UTF-8 encoding per response). A page that shows a view count holds a
 * marker where the count goes; every hit counts its view first and writes `viewCounts.shown` there.
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
  /**
   * Every response of this page counts a view of (kind, id); `stored` is the count the page read from the
   * database, and every answer shows `app.viewCounts.shown(kind, id, stored)` at VIEWS_MARKER.
   */
  view?: { kind: string, id: number, stored?: number }
  /** Content validators (the Archiver's): ETag, Last-Modified and a public Cache-Control, 304 on a match. */
  validators?: { tag: string, lastModified: number }
  /** Served from the cache to crawlers only (the Archiver when human browsers are sent to the full pages). */
  crawlersOnly?: boolean
  /** `X-Robots-Tag: noindex` on this answer and on every copy served from the cache (the darkroom: members' names and ban reasons). */
  noindex?: boolean
}

/** A request at the front door, for a gate: the raw request and the client address as `request.ip` computes it. */
export interface DoorVisit {
  readonly raw: IncomingMessage
  /** Computed on first read (the trust function walks X-Forwarded-For). */
  readonly ip: string
}

/**
 * A global rule's check at the front door: false sends the request down the full Fastify path, where the
 * rule's own hook answers (a 503, a ban page). Runs on every cached answer: keep it to a lookup.
 */
export type DoorGate = (visit: DoorVisit) => boolean

export interface GuestPages {
  /**
   * Inside Fastify (a route, after every hook): answers from the copy of this page (a guest's request),
   * or waits for the request rendering it; false when this request should render (it may then be the one
   * whose page becomes the next copy).
   */
  serveCached: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>
  /** Adds a check the front door makes before answering from a copy. */
  addGate: (gate: DoorGate) => void
  /**
   * Sends a page just rendered (the view, if any, already counted), with the count in place of the
   * marker, and keeps a copy for other guests when it is a guest's page without a form token.
   */
  send: (request: FastifyRequest, reply: FastifyReply, page: RenderedPage, options?: GuestPageOptions) => Promise<FastifyReply>
  /**
   * How many answers came from a cached copy: at the front door, or inside Fastify (a route's
   * serveCached); and how many copies the door held back because a gate said no. Logged with the
   * sampled access-log lines; the tests read them to tell the paths apart.
   */
  readonly answered: { beforeFastify: number, inFastify: number, refusedByGate: number }
}

interface CachedPage {
  /** The body before the view-count marker, or the whole body when the page shows no count. */
  head: Buffer
  tail: Buffer | null
  view: { kind: string, id: number, stored: number } | null
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

/**
 * Whether the client's copy is current (answer 304), by `fresh` (what Express and @fastify/send use):
 * If-None-Match decides when sent (weak comparison), else If-Modified-Since; a request with
 * `Cache-Control: no-cache` is never answered 304.
 */
function clientCopyIsCurrent (headers: IncomingHttpHeaders, v: Validators): boolean {
  return fresh(headers, { etag: v.etag, 'last-modified': v.lastModifiedHeader })
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

/** One door answer in this many is logged (info, through app.log): the door answers thousands a second. */
export const DOOR_LOG_EVERY = 100

export default fp<{ ttlMs?: number, frontDoor?: FrontDoor, trustProxy?: TrustFunction, doorLogEvery?: number }>(async (app, opts) => {
  const pages = new MicroCache<CachedPage>(opts.ttlMs ?? GUEST_CACHE_MS)
  const answered = { beforeFastify: 0, inFastify: 0, refusedByGate: 0 }
  const gates: DoorGate[] = []
  const doorLogEvery = opts.doorLogEvery ?? DOOR_LOG_EVERY
  // Flat (name, value, name, value…): the form writeHead takes without building a header object.
  const securityHeaders = { http: Object.entries(app.securityHeadersFor(false)).flat(), https: Object.entries(app.securityHeadersFor(true)).flat() }
  const caching = (opts.ttlMs ?? GUEST_CACHE_MS) > 0

  /**
   * One render per page when its copy expires under load: the first guest to miss renders (the flight),
   * and while it does, guests asking for the same page get the copy that just expired (at most
   * STALE_MAX_MS old; views are counted and shown live either way). Without a copy to give they wait for
   * the new one. (Before, every request arriving during a render waited for it: on MariaDB with 100,000
   * articles the portal home takes 100–200 ms to render, which was then every guest's p99.)
   */
  interface Flight { done: Promise<void>, land: () => void }
  const flights = new Map<string, Flight>()
  const flightOf = new WeakMap<FastifyRequest, { key: string, flight: Flight }>()
  function land (request: FastifyRequest): void {
    const mine = flightOf.get(request)
    if (mine === undefined) return
    flightOf.delete(request)
    if (flights.get(mine.key) === mine.flight) flights.delete(mine.key)
    mine.flight.land()
  }

  /** A copy of this page that this guest may be given: a fresh one, or the last one while another request renders the next. */
  function copyFor (key: string | null, headers: IncomingHttpHeaders, staleAllowed = true): CachedPage | undefined {
    if (key === null) return undefined
    const now = app.clock.nowMs()
    const page = pages.get(key, now) ?? (staleAllowed && flights.has(key) ? pages.getStale(key, now, STALE_MAX_MS) : undefined)
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
      : String(app.viewCounts.shown(page.view.kind, page.view.id, page.view.stored))
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

  async function answerInFastify (page: CachedPage, request: FastifyRequest, reply: FastifyReply): Promise<true> {
    if (page.view !== null) await app.viewCounts.countView(page.view.kind, page.view.id, request)
    const answer = answerOf(page, request.headers)
    for (const [name, value] of answer.headers) void reply.header(name, value)
    await reply.code(answer.status).send(answer.body ?? undefined)
    answered.inFastify++
    return true
  }

  async function serveCached (request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const key = guestCacheKey(request.url, request.headers.cookie)
    const page = copyFor(key, request.headers)
    if (page !== undefined) return await answerInFastify(page, request, reply)
    if (!caching || key === null) return false
    const inFlight = flights.get(key)
    if (inFlight !== undefined) {
      await inFlight.done
      const rendered = copyFor(key, request.headers, false)
      // Not cacheable after all (an error, a crawler-only copy): render as usual.
      return rendered === undefined ? false : await answerInFastify(rendered, request, reply)
    }
    // This request renders the next copy: only a cookieless guest's page at its canonical URL is kept
    // (send), so only such a request makes the others wait for it.
    const cookie = request.headers.cookie
    if (request.url !== canonicalCacheKey(request.url) || (cookie !== undefined && SESSION_COOKIE_PATTERN.test(cookie))) return false
    let resolve = (): void => {}
    const flight: Flight = { done: new Promise<void>((r) => { resolve = r }), land: () => { resolve() } }
    flights.set(key, flight)
    flightOf.set(request, { key, flight })
    return false
  }

  // The function Fastify was given (app.ts): the address here is exactly request.ip.
  const trustProxy = opts.trustProxy ?? ((): boolean => false)

  /** A door request for the gates; a class, so the lazy `ip` getter is not a new closure per request (~1 µs). */
  class Visit implements DoorVisit {
    private address: string | undefined
    constructor (readonly raw: IncomingMessage) {}
    get ip (): string { return (this.address ??= clientAddress(this.raw, trustProxy)) }
  }

  /** Every gate says yes to this request (the address is computed only if a gate reads it). */
  function gatesAllow (req: IncomingMessage): boolean {
    if (gates.length === 0) return true
    const visit = new Visit(req)
    for (const gate of gates) if (!gate(visit)) return false
    return true
  }

  /** Writes the answer on the raw response: the security headers Fastify's hook would have set, then the page's. */
  function writeRaw (page: CachedPage, req: IncomingMessage, res: ServerResponse, startedAt: bigint): void {
    const answer = answerOf(page, req.headers)
    // The protocol as Fastify's request.protocol sees it (same trust function): HSTS only over HTTPS.
    const headers = [...securityHeaders[requestProtocol(req, trustProxy) === 'https' ? 'https' : 'http']]
    for (const [name, value] of answer.headers) headers.push(name, value)
    if (answer.body !== null) headers.push('Content-Length', String(answer.body.length))
    res.writeHead(answer.status, headers)
    res.end(answer.body ?? undefined) // a HEAD request's response drops the body itself
    answered.beforeFastify++
    // A sample, in the fields of Fastify's own request lines: the door answers most guest requests under
    // load, and a line for each would cost more than the answer.
    if (doorLogEvery > 0 && answered.beforeFastify % doorLogEvery === 0) {
      app.log.info({
        req: { method: req.method, url: req.url, remoteAddress: clientAddress(req, trustProxy) },
        res: { statusCode: answer.status },
        responseTime: Number(process.hrtime.bigint() - startedAt) / 1e6,
        frontDoor: { sampledOneIn: doorLogEvery, ...answered }
      }, 'front door answer')
    }
  }

  // The front door (src/lib/front-door.ts): a cookieless guest's request for a copy is answered before
  // Fastify builds its request and reply. Anything else, a request a gate refuses, or a failure before the
  // answer is written (the view count's settings read) goes to Fastify, whose route may answer from the
  // copy after every hook has run.
  opts.frontDoor?.open((req, res, passOn) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const cookie = req.headers.cookie
    if (cookie !== undefined && SESSION_COOKIE_PATTERN.test(cookie)) return false
    const page = copyFor(req.url === undefined ? null : guestCacheKey(req.url, cookie), req.headers)
    if (page === undefined || wantsOnlyOtherEncodings(page, req.headers['accept-encoding'])) return false
    if (!gatesAllow(req)) {
      answered.refusedByGate++
      return false
    }
    const startedAt = process.hrtime.bigint()
    if (page.view === null) {
      writeRaw(page, req, res, startedAt)
      return true
    }
    const visit = { method: req.method, ip: clientAddress(req, trustProxy), userAgent: userAgentOf(req) }
    app.viewCounts.countGuestView(page.view.kind, page.view.id, visit).then(() => { writeRaw(page, req, res, startedAt) }).catch(passOn)
    return true
  }, app.log)
  // While the server drains, Fastify answers (503 with Connection: close for requests on open sockets).
  app.addHook('preClose', async () => { opts.frontDoor?.shut() })

  app.decorate('guestPages', {
    serveCached,
    addGate: (gate: DoorGate) => { gates.push(gate) },
    answered,
    async send (request, reply, page, options = {}) {
      const view = options.view
      // Only a page that shows a count (the Archiver counts views without showing them).
      const shown = view?.stored === undefined ? undefined : app.viewCounts.shown(view.kind, view.id, view.stored)
      const at = markerAt(page.html)
      // A page that counts views is kept only with exactly one place for the count: a copy without it
      // would show a frozen count to every guest while counting their views.
      const cacheable = shown === undefined ? !page.html.includes(VIEWS_MARKER) : at !== -1
      // Kept only from a request for the canonical URL: `?r=<random>` creates no entry (and its page,
      // whose login link carries the random URL, is not given to others).
      if (request.user === null && !page.personal && cacheable && request.url === canonicalCacheKey(request.url)) {
        const cachedValidators = options.validators === undefined ? null : validatorsOf(options.validators.tag, options.validators.lastModified)
        pages.set(guestCacheKey(request.url, request.headers.cookie) ?? request.url, {
          head: Buffer.from(at === -1 ? page.html : page.html.slice(0, at)),
          tail: at === -1 ? null : Buffer.from(page.html.slice(at + VIEWS_MARKER.length)),
          view: view === undefined ? null : { kind: view.kind, id: view.id, stored: view.stored ?? 0 },
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

  // The copy is stored before the response is written (send), or the request ends without one.
  app.addHook('onResponse', async (request) => { land(request) })
  app.addHook('onRequestAbort', async (request) => { land(request) })
}, { name: 'guest-pages', dependencies: ['clock', 'view-counts', 'security-headers'] })
