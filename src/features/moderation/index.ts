import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { createBanHooks, type BanHooks } from './ban-hooks'
import moderationRoutes from './routes'
import { moderationService, type ModerationService } from './service'

/**
 * The moderation feature: bans and lifts, the audit trail, the staff page and the darkroom.
 * Built once here and shared: `app.moderation` (the service; `app.moderation.audit` is the
 * append-only audit log other features record their staff actions in) and `app.banHooks` (where
 * features hook into a ban, inside its transaction). Register it before the features that add
 * ban hooks or record audit rows (comments, forum).
 */

declare module 'fastify' {
  interface FastifyInstance {
    moderation: ModerationService
    banHooks: BanHooks
  }
}

export default fp<{ config: AppConfig }>(async function moderationFeature (app) {
  const banHooks = createBanHooks()
  app.decorate('banHooks', banHooks)
  app.decorate('moderation', moderationService(app.db, app.clock, banHooks, app.notifications))
  await app.register(moderationRoutes)
}, { name: 'moderation', dependencies: ['db', 'clock', 'settings', 'legacy-urls', 'auth', 'view', 'guest-pages', 'notifications'] })

export { auditLog, type AuditLog, type AuditEntry, type AuditRow, type AuditFilter, type AuditTargetType } from './audit'
export type { BanEvent, BanHook, BanHooks } from './ban-hooks'
export { AUDIT_ACTIONS, type ModerationService } from './service'
