import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyServerFactory } from 'fastify'

/** Hands a request to Fastify (its routing, hooks and error pages). */
export type FastifyHandler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Takes a request or leaves it: returns true when it has taken it, and then either writes the whole
 * response or, when something fails before anything is written, passes the request to `fastify`.
 */
export type RawAnswerer = (req: IncomingMessage, res: ServerResponse, fastify: FastifyHandler) => boolean

/**
 * The HTTP server in front of Fastify. A plugin may open it with an answerer that takes some requests
 * before Fastify sees them: the guest page cache answers a fresh copy of a hot page there, because at
 * that point Fastify's own per-request work (request and reply objects, routing, hooks, header
 * validation) costs more than the answer itself. Every other request goes to Fastify unchanged.
 * (`app.inject()` calls Fastify's handler directly, so tests through inject never meet the front door.)
 */
export class FrontDoor {
  private answerer: RawAnswerer | null = null

  open (answerer: RawAnswerer): void { this.answerer = answerer }

  /** From here on every request goes to Fastify (at shutdown, so it can answer 503 while draining). */
  shut (): void { this.answerer = null }

  /** For Fastify's `serverFactory` option: the server Fastify would build, with the door in front. */
  readonly serverFactory: FastifyServerFactory = (fastify, options) => {
    const server = http.createServer((req, res) => {
      const answerer = this.answerer
      if (answerer === null || !answerer(req, res, fastify)) fastify(req, res)
    })
    // The timeouts Fastify sets on a server it builds itself (its option defaults arrive here resolved).
    if (typeof options.keepAliveTimeout === 'number') server.keepAliveTimeout = options.keepAliveTimeout
    if (typeof options.requestTimeout === 'number') server.requestTimeout = options.requestTimeout
    if (typeof options.connectionTimeout === 'number') server.setTimeout(options.connectionTimeout)
    if (typeof options.maxRequestsPerSocket === 'number' && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }
}
