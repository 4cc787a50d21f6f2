import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { notificationDigestService, type NotificationDigestService } from './service'

export type { NotificationDigestService } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    /** The hourly e-mail digest of 提醒: `sendDue()` queues every digest due now (the timer calls it). */
    notificationDigest: NotificationDigestService
  }
}

export interface NotificationDigestPluginOptions {
  config: AppConfig
  /** How often this process looks for due digests (default 5 minutes; 0: never, tests call sendDue). */
  intervalMs?: number
}

/** A member gets at most one digest an hour; a 5-minute look keeps the wait after that hour short and cheap. */
export const DEFAULT_DIGEST_INTERVAL_MS = 5 * 60_000

/**
 * The digest sender, in every app process (claims keep two processes from mailing one member twice).
 * After notifications, mail and members: it reads notices, queues mail and asks for the address.
 */
export default fp<NotificationDigestPluginOptions>(async (app, opts) => {
  const { config } = opts
  const service = notificationDigestService({
    db: app.db,
    clock: app.clock,
    notifications: app.notifications,
    mail: app.mail,
    recipient: async (userId) => {
      const to = await app.members.mailRecipient(userId)
      if (to === null) return null
      if (!to.verified && await app.settings.get('email_verification_required') === '1') return null
      return { email: to.email, username: to.username }
    },
    siteName: async () => await app.settings.get('site_name'),
    timeZone: async () => await app.settings.timeZone(),
    // No request to take an origin from: without 站点网址 and SITE_URL (development and test) this process's own.
    origin: async () => await app.settings.siteOrigin(`http://localhost:${config.port}`),
    log: app.log
  })
  app.decorate('notificationDigest', service)

  const intervalMs = opts.intervalMs ?? DEFAULT_DIGEST_INTERVAL_MS
  let timer: NodeJS.Timeout | null = null
  app.addHook('onReady', async () => {
    if (intervalMs <= 0) return
    timer = setInterval(() => { service.kick() }, intervalMs)
    timer.unref()
  })
  // preClose: a pass in flight finishes before the database plugin's onClose ends the pool.
  app.addHook('preClose', async () => {
    if (timer !== null) clearInterval(timer)
    await service.idle()
  })
}, { name: 'notification-digest', dependencies: ['db', 'clock', 'settings', 'notifications', 'mail', 'members'] })
