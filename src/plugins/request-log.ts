import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import PinoPretty from 'pino-pretty'
import type { AppConfig } from '../config'

/**
 * Logging: JSON lines (pino) for log collectors, except in development, where a person reads the
 * terminal. There, Fastify's two JSON lines per request (`incoming request`, `request completed`)
 * buried the first-run admin password within a few page loads; instead each request is one line,
 * `GET /forum 200 15 ms #k3j9x0ab` (ReadableRequestLog below), and other messages (errors with their stack) are pretty-printed.
 *
 * pino-pretty runs in-process and synchronously rather than as a transport: development only, so
 * its cost does not matter, there is no worker thread to start and stop, and a test can read the
 * lines from a stream of its own.
 */
export function loggerOptions (config: AppConfig, destination?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  if (config.logLevel === 'silent') return false
  if (config.nodeEnv !== 'development') return { level: config.logLevel }
  return {
    level: config.logLevel,
    stream: PinoPretty({
      destination: destination ?? 1,
      sync: true,
      // Colours only on a terminal; a test's stream or a redirected file gets plain text.
      colorize: destination === undefined && process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname'
    })
  }
}

/**
 * Development's request log: nothing when a request comes in, one line when it is answered,
 * `GET /forum 200 15 ms #k3j9x0ab` (the request id, which the 500 page shows, finds the error lines).
 * Errors keep their stack, on the lines below.
 */
export class ReadableRequestLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = `${request.method} ${request.url} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms #${request.id}`
    if (error !== null && error !== undefined) request.server.log.error({ err: error }, line)
    else request.server.log.info(line)
  }
}
