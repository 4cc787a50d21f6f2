import fp from 'fastify-plugin'
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure'
import { sendErrorPage } from './errors'

/**
 * Load shedding with @fastify/under-pressure: while the event loop lags past a second, every request
 * gets the site's Chinese 503 page with Retry-After instead of queueing behind the others. A gate of
 * the guest page cache's front door, so cached answers are shed too (they are the bulk under load).
 */

/** Seconds a shed client is asked to wait. */
export const PRESSURE_RETRY_AFTER_SECONDS = 10
export const PRESSURE_MESSAGE = '服务器繁忙，请稍后再试'

export default fp<{ options?: FastifyUnderPressureOptions }>(async (app, opts) => {
  await app.register(underPressure, {
    maxEventLoopDelay: 1000,
    ...opts.options,
    pressureHandler: async (request, reply) => {
      void reply.header('Retry-After', String(PRESSURE_RETRY_AFTER_SECONDS))
      await sendErrorPage(request, reply, 503, PRESSURE_MESSAGE)
    }
  })
  app.guestPages.addGate(() => !app.isUnderPressure())
}, { name: 'load-shedding', dependencies: ['guest-pages'] })
