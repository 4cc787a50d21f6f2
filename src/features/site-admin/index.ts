import fs from 'node:fs'
import path from 'node:path'
import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { recordAdminAction, type AdminAudit } from './audit'
import { siteAdminRepository } from './repository'
import { siteAdminService, type SiteAdminService } from './service'
import { heartbeat, HEARTBEAT_MS, type Heartbeat } from './heartbeat'
import routes from './routes'

/**
 * The admin centre's shell: /admin (站点状态) and /admin/settings (站点设置). Other admin sections
 * (单页 …) record their changes through `app.adminAudit`, so every admin action reaches the audit log one way.
 */

export type { AdminAudit } from './audit'

declare module 'fastify' {
  interface FastifyInstance {
    siteAdmin: SiteAdminService
    /** This process's row in 站点状态 → 进程 (`beat()` writes it now). */
    processHeartbeat: Heartbeat
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

export default fp<{ config: AppConfig, heartbeatMs?: number }>(async (app, opts) => {
  const audit: AdminAudit = async (entry, trx) => { await recordAdminAction(app.moderation.audit, entry, trx) }
  const repo = siteAdminRepository(app.db)
  const version = packageVersion()
  const beats = heartbeat({
    repo,
    clock: app.clock,
    version,
    errors: () => ({ list: app.errorRing.list(), count: app.errorRing.count })
  })
  const service = siteAdminService({
    db: app.db,
    repo,
    processes: async () => await beats.live(),
    audit,
    version,
    timeZone: async () => await app.settings.timeZone(),
    settingsChanged: () => { app.settings.invalidate() }
  })
  app.decorate('adminAudit', audit)
  app.decorate('siteAdmin', service)
  app.decorate('processHeartbeat', beats)

  // A failed beat (the database away) is logged and retried at the next tick: it must never take the process down.
  const beatQuietly = async (): Promise<void> => {
    try {
      await beats.beat()
    } catch (err) {
      app.log.warn({ err }, 'heartbeat: could not write this process\'s row')
    }
  }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    await beatQuietly()
    timer = setInterval(() => { void beatQuietly() }, opts.heartbeatMs ?? HEARTBEAT_MS)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    try {
      await beats.leave()
    } catch {
      // The database is already gone: the row ages out of the list by itself.
    }
  })
  await app.register(routes, { service, timeZone: opts.config.siteTimezone })
}, { name: 'site-admin', dependencies: ['db', 'clock', 'settings', 'auth', 'view', 'moderation', 'error-ring'] })
