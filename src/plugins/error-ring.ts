import fp from 'fastify-plugin'
import { ErrorRing } from '../lib/error-ring'

/**
 * `app.errorRing`: this process's last 5xx errors (src/lib/error-ring.ts), written by the error
 * handler (src/plugins/errors.ts) where it logs an unexpected error, read by the 站点状态 dashboard.
 */

declare module 'fastify' {
  interface FastifyInstance {
    errorRing: ErrorRing
  }
}

export const ERROR_RING_CAPACITY = 50

export default fp(async (app) => {
  app.decorate('errorRing', new ErrorRing(ERROR_RING_CAPACITY))
}, { name: 'error-ring' })
