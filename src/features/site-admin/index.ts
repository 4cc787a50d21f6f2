import fs from 'node:fs'
import path from 'node:path'
import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { recordAdminAction, type AdminAudit } from './audit'
import { siteAdminRepository } from './repository'
import { siteAdminService, type SiteAdminService } from './service'
import routes from './routes'

/**
 * The admin centre's shell: /admin (站点状态) and /admin/settings (站点设置). Other admin sections
 * (单页 …) record their changes through `app.adminAudit`, so every admin action reaches the audit log one way.
 */

export type { AdminAudit } from './audit'

declare module 'fastify' {
  interface FastifyInstance {
    siteAdmin: SiteAdminService
    adminAudit: AdminAudit
  }
}

function packageVersion (): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '未知'
  } catch {
    return '未知'
  }
}

export default fp<{ config: AppConfig }>(async (app, opts) => {
  const audit: AdminAudit = async (entry, trx) => { await recordAdminAction(app.moderation.audit, entry, trx) }
  const service = siteAdminService({
    db: app.db,
    repo: siteAdminRepository(app.db),
    audit,
    version: packageVersion(),
    timeZone: async () => await app.settings.timeZone(),
    settingsChanged: () => { app.settings.invalidate() }
  })
  app.decorate('adminAudit', audit)
  app.decorate('siteAdmin', service)
  await app.register(routes, { service, timeZone: opts.config.siteTimezone })
}, { name: 'site-admin', dependencies: ['db', 'clock', 'settings', 'auth', 'view', 'moderation', 'error-ring'] })
