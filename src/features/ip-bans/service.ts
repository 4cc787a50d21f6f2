import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { notFound } from '../../lib/http-errors'
import { formatIpRange, IpRangeSet, parseIpRange, type IpRange } from '../../lib/ip-ranges'
import { isUniqueViolation } from '../../db/knex'
import type { AuditEntry } from '../moderation'
import type { IpBanRow, IpBansRepository } from './repository'

/** 禁止 IP: the rules, the audited transactions, and the in-memory list every request is checked against. */

export const messages = {
  refused: '您的 IP 已被禁止访问',
  reasonLength: '禁止理由必须为 2 到 200 个字符',
  badDuration: '请选择禁止期限',
  ownAddress: '不能禁止您自己当前的 IP 地址，否则您将无法访问本站',
  duplicate: '该 IP 地址或网段已在禁止列表中',
  notFound: '该条禁止记录不存在',
  added: 'IP 禁止已添加，所有进程将在几秒内生效',
  removed: 'IP 禁止已解除'
} as const

export const IP_BAN_DURATIONS = [
  { value: 'forever', label: '永久', days: null },
  { value: '1', label: '1 天', days: 1 },
  { value: '7', label: '7 天', days: 7 },
  { value: '30', label: '30 天', days: 30 },
  { value: '365', label: '1 年', days: 365 }
] as const

/** How often each process rereads the list (a change made on another process shows within this). */
export const IP_BAN_RELOAD_MS = 3000

export interface IpBanInput { range?: string, reason?: string, duration?: string }
export type IpBanFormErrors = Partial<Record<'range' | 'reason' | 'duration', string>>

export interface IpBansDeps {
  db: Knex
  repo: IpBansRepository
  clock: Clock
  audit: (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>
}

export function ipBansService ({ db, repo, clock, audit }: IpBansDeps) {
  let ranges = new IpRangeSet([])
  // The soonest expiry among the ranges held: past it, the set is rebuilt without waiting for a reread.
  let nextExpiry = Infinity

  async function reload (): Promise<void> {
    const now = clock.now()
    const rows = await repo.active(now)
    const parsed: IpRange[] = []
    let soonest = Infinity
    for (const row of rows) {
      const r = parseIpRange(row.range)
      if ('error' in r) continue // stored rows were validated; one edited by hand into nonsense matches nothing
      parsed.push(r)
      if (row.expires_at !== null) soonest = Math.min(soonest, row.expires_at)
    }
    ranges = new IpRangeSet(parsed)
    nextExpiry = soonest
  }

  function parseForm (input: IpBanInput, adminIp: string): { range: string, reason: string, expiresAt: number | null } | { errors: IpBanFormErrors } {
    const errors: IpBanFormErrors = {}
    const parsed = parseIpRange(input.range ?? '')
    if ('error' in parsed) errors.range = parsed.error
    else if (new IpRangeSet([parsed]).has(adminIp)) errors.range = messages.ownAddress
    const reason = (input.reason ?? '').replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim()
    if ([...reason].length < 2 || [...reason].length > 200) errors.reason = messages.reasonLength
    const duration = IP_BAN_DURATIONS.find((d) => d.value === input.duration)
    if (duration === undefined) errors.duration = messages.badDuration
    if ('error' in parsed || Object.keys(errors).length > 0 || duration === undefined) return { errors }
    return { range: formatIpRange(parsed), reason, expiresAt: duration.days === null ? null : clock.now() + duration.days * 86400 }
  }

  return {
    reload,

    /** Whether a client address is refused now: one pass over the ranges in memory, no query. */
    blocks (ip: string): boolean {
      if (clock.now() >= nextExpiry) {
        // An expiry passed since the last read: reread soon; meanwhile keep refusing (at most a few seconds late).
        nextExpiry = Infinity
        void reload().catch(() => { nextExpiry = clock.now() })
      }
      return ranges.has(ip)
    },

    /** How many ranges this process holds (the list page shows it). */
    heldCount: (): number => ranges.size,

    async page (perPage: number, beforeId?: number): Promise<{ rows: IpBanRow[], nextBefore: number | null }> {
      const rows = await repo.page(perPage + 1, beforeId)
      const more = rows.length > perPage
      const page = rows.slice(0, perPage)
      return { rows: page, nextBefore: more ? (page[page.length - 1]?.id ?? null) : null }
    },

    /** Adds a ban (refusing the admin's own address); returns the form's errors, or null when added. */
    async add (adminId: number, adminIp: string, input: IpBanInput, requestId: string): Promise<IpBanFormErrors | null> {
      const form = parseForm(input, adminIp)
      if ('errors' in form) return form.errors
      const now = clock.now()
      try {
        await db.transaction(async (trx) => {
          const id = await repo.insert({ range: form.range, reason: form.reason, created_at: now, created_by: adminId, expires_at: form.expiresAt }, trx)
          await audit({
            actorId: adminId, action: 'ip_ban_add', targetType: 'ip_ban', targetId: id, reason: form.reason,
            before: null, after: { range: form.range, expires_at: form.expiresAt }, requestId, at: now
          }, trx)
        })
      } catch (err) {
        if (isUniqueViolation(err)) return { range: messages.duplicate }
        throw err
      }
      await reload()
      return null
    },

    async remove (adminId: number, id: number, requestId: string): Promise<void> {
      const now = clock.now()
      await db.transaction(async (trx) => {
        const row = await repo.find(id, trx)
        if (row === null) throw notFound(messages.notFound)
        await repo.remove(id, trx)
        await audit({
          actorId: adminId, action: 'ip_ban_remove', targetType: 'ip_ban', targetId: id, reason: row.reason,
          before: { range: row.range, reason: row.reason, expires_at: row.expires_at }, after: null, requestId, at: now
        }, trx)
      })
      await reload()
    }
  }
}

export type IpBansService = ReturnType<typeof ipBansService>
