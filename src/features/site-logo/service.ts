import type { Knex } from 'knex'
import type { AdminAudit } from '../site-admin'

/**
 * 站点 Logo: the picture is stored by the upload service (re-encoded, content-addressed); this keeps its
 * URL in the `site_logo` setting, with one audit row (before/after) per change. No Fastify here.
 */

export interface SiteLogoDeps {
  db: Knex
  audit: AdminAudit
  settingsChanged: () => void
}

export interface LogoChange { actorId: number, now: number, requestId: string }

export function siteLogoService (deps: SiteLogoDeps) {
  const write = async (url: string, change: LogoChange): Promise<boolean> => {
    const changed = await deps.db.transaction(async (trx) => {
      const row = await trx('settings').where({ key: 'site_logo' }).first<{ value: string } | undefined>('value')
      const before = row?.value ?? ''
      if (before === url) return false
      await trx('settings').insert({ key: 'site_logo', value: url }).onConflict('key').merge()
      await deps.audit({
        actorId: change.actorId,
        action: 'settings_update',
        targetType: 'setting',
        targetId: 0,
        before: { site_logo: before },
        after: { site_logo: url },
        requestId: change.requestId,
        at: change.now
      }, trx)
      return true
    })
    if (changed) deps.settingsChanged()
    return changed
  }
  return {
    /** Shows `url` (an upload's URL) as the header logo. */
    async setLogo (url: string, change: LogoChange): Promise<boolean> { return await write(url, change) },
    /** 恢复默认: the header shows static/img/logo.svg again. */
    async resetLogo (change: LogoChange): Promise<boolean> { return await write('', change) }
  }
}

export type SiteLogoService = ReturnType<typeof siteLogoService>
