import http, { type IncomingMessage, type ServerResponse } from 'node:http'

/** What the door logs with (app.log fits): lib/ stays free of Fastify's types. */
export interface DoorLog { error: (fields: object, message: string) => void }

/** The options Fastify hands its `serverFactory`, as far as the door reads them (their defaults arrive resolved). */
export interface ServerTimeouts { keepAliveTimeout?: number, requestTimeout?: number, connectionTimeout?: number, maxRequestsPerSocket?: number }

/** Fastify's `serverFactory` shape: Fastify's request handler and its server options → the HTTP server. */
export type ServerFactory = (handler: (req: IncomingMessage, res: ServerResponse) => void, options: ServerTimeouts) => http.Server

/** The request handler Fastify gives its server factory (the whole of Fastify, from routing to reply). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Gives the request to Fastify after all (its routing, hooks and error pages). With an error: it is
 * logged, and when part of a response was already written the connection is closed instead.
 */
export type PassOn = (err?: unknown) => void

/**
 * Takes a request or leaves it: returns true when it has taken it, and then either writes the whole
 * response or calls `passOn` (say when a read it needed failed before anything was written).
 */
export type RawAnswerer = (req: IncomingMessage, res: ServerResponse, passOn: PassOn) => boolean

/**
 * The HTTP server in front of Fastify. A plugin may open it with an answerer that takes some requests
 * before Fastify sees them: the guest page cache answers a fresh copy of a hot page there, because at
 * that point Fastify's own per-request work (request and reply objects, routing, hooks, header
 * validation) costs more than the answer itself. Every other request goes to Fastify unchanged.
 * (`app.inject()` calls Fastify's handler directly, so tests through inject never meet the front door.)
 */
export class FrontDoor {
  private answerer: RawAnswerer | null = null
  private log: DoorLog | null = null

  open (answerer: RawAnswerer, log: DoorLog): void {
    this.answerer = answerer
    this.log = log
  }

  /** From here on every request goes to Fastify (at shutdown, so it can answer 503 while draining). */
  shut (): void { this.answerer = null }

  /** For Fastify's `serverFactory` option: the server Fastify would build, with the door in front. */
  readonly serverFactory: ServerFactory = (fastify, options) => {
    const server = http.createServer((req, res) => {
      const answerer = this.answerer
      if (answerer === null) {
        fastify(req, res)
        return
      }
      const passOn: PassOn = (err) => {
        if (err !== undefined) this.log?.error({ err, url: req.url }, 'front door: passing the request to Fastify')
        if (res.headersSent) res.destroy()
        else fastify(req, res)
      }
      let taken: boolean
      try {
        taken = answerer(req, res, passOn)
      } catch (err) {
        passOn(err)
        return
      }
      if (!taken) fastify(req, res)
    })
    // The timeouts Fastify sets on a server it builds itself (its option defaults arrive here resolved).
    if (typeof options.keepAliveTimeout === 'number') server.keepAliveTimeout = options.keepAliveTimeout
    if (typeof options.requestTimeout === 'number') server.requestTimeout = options.requestTimeout
    if (typeof options.connectionTimeout === 'number') server.setTimeout(options.connectionTimeout)
    if (typeof options.maxRequestsPerSocket === 'number' && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }
}
