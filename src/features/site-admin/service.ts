import type { Knex } from 'knex'
import { startOfSiteDay } from '../../lib/dates'
import type { SiteTimeZone } from '../../lib/time-zone'
import { FORM_KEYS, settingsToStore, validateSettings, type FormErrors, type SettingsForm } from '../../lib/site-settings-form'
import type { AdminAudit } from './audit'
import type { CountPair, SiteAdminRepository } from './repository'
import type { ProcessInfo } from './heartbeat'

/** The admin centre's 站点状态 and 站点设置 rules. No Fastify types: routes pass plain values. */

export interface SiteStatus {
  counts: Record<'members' | 'articles' | 'comments' | 'threads' | 'posts', CountPair>
  pending: { comments: number, posts: number }
  database: { kind: string, bytes: number | null }
  version: string
  uptimeSeconds: number
  nodeVersion: string
  /** Every live app process (the heartbeat rows), with its last errors. */
  processes: ProcessInfo[]
}

export interface SiteAdminDeps {
  db: Knex
  repo: SiteAdminRepository
  audit: AdminAudit
  version: string
  processes: () => Promise<ProcessInfo[]>
  /** The live site zone: 今日 starts at its midnight. */
  timeZone: SiteTimeZone
  /** Called after a save commits: this process rereads the settings at once, the others within a second. */
  settingsChanged: () => void
}

export type SaveResult = { ok: true, changed: string[] } | { ok: false, errors: FormErrors }

export function siteAdminService (deps: SiteAdminDeps) {
  const { db, repo } = deps
  return {
    async status (now: number): Promise<SiteStatus> {
      const since = startOfSiteDay(now, await deps.timeZone())
      const [counts, pending, bytes, processes] = await Promise.all([repo.contentCounts(since), repo.pendingCounts(), repo.databaseBytes(), deps.processes()])
      return {
        counts,
        pending,
        database: { kind: repo.dialect, bytes },
        version: deps.version,
        uptimeSeconds: Math.floor(process.uptime()),
        nodeVersion: process.version,
        processes
      }
    },

    /**
     * Saves the whole form or nothing: every field is checked first, then the changed keys are written
     * with one audit row (before/after of just those keys) in one transaction.
     */
    async saveSettings (form: SettingsForm, actorId: number, now: number, requestId: string): Promise<SaveResult> {
      const errors = validateSettings(form)
      if (Object.keys(errors).length > 0) return { ok: false, errors }
      const next = settingsToStore(form)
      const changed = await db.transaction(async (trx) => {
        const stored = await repo.settingsRows(FORM_KEYS, trx)
        const before: Record<string, string | null> = {}
        const after: Record<string, string> = {}
        for (const key of FORM_KEYS) {
          const value = next[key]
          if (stored.get(key) === value) continue
          before[key] = stored.get(key) ?? null
          after[key] = value
          await repo.writeSetting(key, value, trx)
        }
        const keys = Object.keys(after)
        if (keys.length > 0) {
          await deps.audit({ actorId, action: 'settings_update', targetType: 'setting', targetId: 0, before, after, requestId, at: now }, trx)
        }
        return keys
      })
      if (changed.length > 0) deps.settingsChanged()
      return { ok: true, changed }
    }
  }
}

export type SiteAdminService = ReturnType<typeof siteAdminService>
