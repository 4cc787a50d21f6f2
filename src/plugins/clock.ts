import fp from 'fastify-plugin'
import type { Clock } from '../lib/clock'

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
  }
}

export default fp<{ clock: Clock }>(async (app, opts) => {
  app.decorate('clock', opts.clock)
}, { name: 'clock' })
