import fs from 'node:fs'
import path from 'node:path'
import fp from 'fastify-plugin'
import { STATIC_DIR } from '../../plugins/view'
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

/** The icons an admin may give a kind: the pictures shipped in static/img/reactions/ (no upload). */
export function reactionIcons (): string[] {
  const dir = path.join(STATIC_DIR, 'img', 'reactions')
  return fs.readdirSync(dir).filter((f) => /^[a-z0-9_-]+\.(svg|png|gif|webp)$/.test(f)).sort().map((f) => `/static/img/reactions/${f}`)
}

export default fp<{ config: AppConfig }>(async (app) => {
  app.decorate('reactions', reactionsService(app.db, {
    dailyCap: async () => await app.settings.getNumber('reactions_daily_cap'),
    timeZone: async (trx) => await app.settings.timeZone(trx),
    portal: app.portal,
    icons: reactionIcons(),
    audit: async (entry, trx) => { await app.moderation.audit.record(entry, trx) },
    notifications: app.notifications
  }))
  await app.register(reactionsRoutes)
}, { name: 'reactions', dependencies: ['portal', 'settings', 'moderation', 'notifications'] })
