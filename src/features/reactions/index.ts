import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import reactionsRoutes from './routes'
import { reactionsService, type ReactionsService } from './service'

/**
 * 表态 under portal articles, built once and shared as `app.reactions`. The counters are the
 * articles' columns, moved through `app.portal` (article row locked first) with each reaction row.
 */

export type { ReactionsService } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    reactions: ReactionsService
  }
}

export default fp<{ config: AppConfig }>(async (app, opts) => {
  app.decorate('reactions', reactionsService(app.db, {
    dailyCap: async () => await app.settings.getNumber('reactions_daily_cap'),
    timeZone: opts.config.siteTimezone,
    portal: app.portal
  }))
  await app.register(reactionsRoutes)
}, { name: 'reactions', dependencies: ['portal', 'settings'] })
