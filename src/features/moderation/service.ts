import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { badRequest, conflict, forbidden, notFound } from '../../lib/http-errors'
import { can, isRole, type AuthUser, type BanType } from '../../lib/permissions'
import { parseIsoDate, siteMidnight, zonedParts } from '../../lib/dates'
import { auditLog, type AuditFilter, type AuditRow } from './audit'
import type { BanHooks } from './ban-hooks'
import { bansRepository, type ActiveBanRow, type BanTargetRow } from './repository'
import type { NotificationsService } from '../notifications'

/** Bans and lifts: the rules, the transactions, the audit rows. No Fastify types here. */

export const messages = {
  userNotFound: '指定的用户不存在',
  notAllowed: '抱歉，您没有权限对该用户进行此操作',
  badType: '请选择处罚类型：禁止发言或禁止访问',
  badDuration: '请选择处罚期限',
  reasonLength: '操作理由必须为 2 到 200 个字符',
  badDate: '请按 YYYY-MM-DD 的格式填写到期日期',
  dateNotFuture: '到期日期必须晚于今天',
  dateTooFar: '到期日期太远，请选择“永久”',
  notBanned: '该用户当前没有被禁止发言或禁止访问'
} as const

export const DURATIONS = [
  { value: '1', label: '1 天', days: 1 },
  { value: '3', label: '3 天', days: 3 },
  { value: '7', label: '7 天', days: 7 },
  { value: '30', label: '30 天', days: 30 },
  { value: 'custom', label: '自定义到期日期', days: null },
  { value: 'forever', label: '永久', days: null }
] as const

/** Actions the audit log filter offers (ban and lift_ban are ours; the rest come from other features). */
export const AUDIT_ACTIONS: ReadonlyArray<{ value: string, label: string }> = [
  { value: 'ban', label: '禁止' },
  { value: 'lift_ban', label: '解除禁止' },
  { value: 'spammer_delete', label: '删除垃圾用户' },
  { value: 'member_role', label: '修改用户组' },
  { value: 'member_password_reset', label: '重置密码' },
  { value: 'member_lock', label: '锁定账号' },
  { value: 'member_unlock', label: '解锁账号' },
  { value: 'ip_ban_add', label: '禁止 IP' },
  { value: 'ip_ban_remove', label: '解除禁止 IP' },
  { value: 'comment_delete', label: '删除评论' },
  { value: 'comment_approve', label: '审核评论' },
  { value: 'article_status', label: '文章状态' },
  { value: 'thread_pin', label: '置顶主题' },
  { value: 'thread_close', label: '关闭主题' },
  { value: 'thread_move', label: '移动主题' },
  { value: 'thread_delete', label: '删除主题' },
  { value: 'post_delete', label: '删除回帖' },
  { value: 'board_moderator_add', label: '添加版主' },
  { value: 'board_moderator_remove', label: '移除版主' }
]

export interface BanForm { type?: unknown, duration?: unknown, until?: unknown, reason?: unknown, hide_recent?: unknown }

export interface BanInput {
  type: BanType
  /** Unix seconds; null = permanent. */
  expiresAt: number | null
  reason: string
  hideRecentContent: boolean
  /** 删除垃圾用户: every ban hook hides all the member's content; the audit row is `spammer_delete`. */
  hideAllContent?: boolean
}

// Far enough for any real ban, and inside the unsigned 32-bit column.
const LATEST_EXPIRY = Date.UTC(2100, 0, 1) / 1000

/** A reason as plain text: whitespace runs (newlines included) become one space; 2–200 characters. */
export function parseReason (raw: unknown): string {
  const reason = typeof raw === 'string' ? raw.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim() : ''
  const length = [...reason].length
  if (length < 2 || length > 200) throw badRequest(messages.reasonLength)
  return reason
}

export function parseBanForm (body: BanForm, now: number, timeZone: string): BanInput {
  const type = body.type
  if (type !== 'post' && type !== 'visit') throw badRequest(messages.badType)
  const duration = DURATIONS.find((d) => d.value === body.duration)
  if (duration === undefined) throw badRequest(messages.badDuration)
  let expiresAt: number | null = null
  if (duration.days !== null) {
    expiresAt = now + duration.days * 86400
  } else if (duration.value === 'custom') {
    const date = parseIsoDate(typeof body.until === 'string' ? body.until : '')
    if (date === null) throw badRequest(messages.badDate)
    // The ban ends as the chosen day begins, in the site's time zone: today or earlier is not in the future.
    expiresAt = siteMidnight(date.year, date.month, date.day, timeZone)
    if (expiresAt <= now) throw badRequest(messages.dateNotFuture)
    if (expiresAt >= LATEST_EXPIRY) throw badRequest(messages.dateTooFar)
  }
  const reason = parseReason(body.reason)
  return { type, expiresAt, reason, hideRecentContent: body.hide_recent === '1' || body.hide_recent === 'on' }
}

function userBanState (row: BanTargetRow): Record<string, unknown> {
  return { ban_type: row.ban_type, ban_until: row.ban_until, ban_reason: row.ban_reason }
}

export interface ModerationContext { requestId: string }

export function moderationService (db: Knex, clock: Clock, hooks: BanHooks, notifications?: Pick<NotificationsService, 'notify'>) {
  const bans = bansRepository(db)
  const audit = auditLog(db)

  function assertMayBan (actor: AuthUser, target: BanTargetRow): void {
    if (!can(actor, { action: 'ban', target: { id: target.id, role: isRole(target.role) ? target.role : 'member' } }, clock.now())) {
      throw forbidden(messages.notAllowed)
    }
  }

  return {
    /** The audit trail (append-only): other features record their staff actions here, in their own transaction. */
    audit,

    /** The member a moderator is about to ban or unban; 404 if missing, 403 if not theirs to ban. */
    async target (actor: AuthUser, userId: number): Promise<BanTargetRow> {
      const row = await db<BanTargetRow>('users').where({ id: userId }).first('id', 'username', 'role', 'ban_type', 'ban_until', 'ban_reason')
      if (row === undefined) throw notFound(messages.userNotFound)
      assertMayBan(actor, row)
      return row
    },

    /** Places a ban; a member already banned gets the new ban in place of the old one. Returns the ban id. */
    async ban (actor: AuthUser, userId: number, input: BanInput, ctx: ModerationContext): Promise<number> {
      const now = clock.now()
      return await db.transaction(async (trx) => {
        const target = await bans.lockTarget(userId, trx)
        if (target === null) throw notFound(messages.userNotFound)
        assertMayBan(actor, target)
        await bans.closeExpiredBans(now, trx)
        const replaced = await bans.openBansOf(userId, trx)
        await bans.closeOpenBans(userId, { at: now, by: actor.id, reason: '被新的处罚替换' }, trx)
        const banId = await bans.insertBan({ userId, type: input.type, reason: input.reason, createdAt: now, expiresAt: input.expiresAt, moderatorId: actor.id }, trx)
        await bans.setUserBan(userId, { type: input.type, until: input.expiresAt, reason: input.reason }, trx)
        // The member is told why (actor null: a ban reaches them even if they blocked the moderator).
        await notifications?.notify(trx, { to: userId, kind: 'banned', actor: null, target: { type: `ban_${input.type}`, id: banId }, title: input.reason, url: `/user/${userId}` }, now)
        const hookResults = await hooks.run({
          banId, userId, moderatorId: actor.id, type: input.type, expiresAt: input.expiresAt, reason: input.reason, hideRecentContent: input.hideRecentContent, hideAllContent: input.hideAllContent === true, at: now
        }, trx)
        await audit.record({
          actorId: actor.id,
          action: input.hideAllContent === true ? 'spammer_delete' : 'ban',
          targetType: 'user',
          targetId: userId,
          targetUserId: userId,
          reason: input.reason,
          before: { ...userBanState(target), replaced_ban_ids: replaced.map((b) => b.id) },
          after: {
            ban_id: banId, ban_type: input.type, ban_until: input.expiresAt, ban_reason: input.reason, hide_recent_content: input.hideRecentContent, hooks: hookResults
          },
          requestId: ctx.requestId,
          at: now
        }, trx)
        return banId
      })
    },

    /** Lifts a member's current ban early. */
    async lift (actor: AuthUser, userId: number, rawReason: unknown, ctx: ModerationContext): Promise<void> {
      const reason = parseReason(rawReason)
      const now = clock.now()
      await db.transaction(async (trx) => {
        const target = await bans.lockTarget(userId, trx)
        if (target === null) throw notFound(messages.userNotFound)
        assertMayBan(actor, target)
        await bans.closeExpiredBans(now, trx)
        const open = await bans.openBansOf(userId, trx)
        if (open.length === 0) throw conflict(messages.notBanned)
        await bans.closeOpenBans(userId, { at: now, by: actor.id, reason }, trx)
        await bans.setUserBan(userId, null, trx)
        await notifications?.notify(trx, { to: userId, kind: 'unbanned', actor: null, target: { type: 'user', id: userId }, title: reason, url: `/user/${userId}` }, now)
        await audit.record({
          actorId: actor.id,
          action: 'lift_ban',
          targetType: 'user',
          targetId: userId,
          targetUserId: userId,
          reason,
          before: { ...userBanState(target), ban_ids: open.map((b) => b.id) },
          after: { ban_type: null, ban_until: null, ban_reason: null },
          requestId: ctx.requestId,
          at: now
        }, trx)
      })
    },

    /** Currently banned members, newest ban first; one extra row tells whether there is a next page. */
    async activeBans (perPage: number, beforeId?: number): Promise<{ rows: ActiveBanRow[], nextBefore: number | null }> {
      const rows = await bans.listActive(clock.now(), perPage + 1, beforeId)
      const more = rows.length > perPage
      const page = rows.slice(0, perPage)
      return { rows: page, nextBefore: more ? (page[page.length - 1]?.id ?? null) : null }
    },

    /** The audit log, filtered by usernames; an unknown username matches nothing rather than everything. */
    async auditEntries (filter: { moderator?: string, member?: string, action?: string, since?: number, until?: number }, perPage: number, beforeId?: number): Promise<{ rows: AuditRow[], nextBefore: number | null, unknownNames: string[] }> {
      const query: AuditFilter = {}
      const unknownNames: string[] = []
      for (const [field, key] of [['moderator', 'actorId'], ['member', 'targetUserId']] as const) {
        const name = filter[field]
        if (name === undefined || name.trim() === '') continue
        const id = await bans.findUserIdByName(name)
        if (id === null) unknownNames.push(name.trim())
        else query[key] = id
      }
      if (unknownNames.length > 0) return { rows: [], nextBefore: null, unknownNames }
      if (filter.action !== undefined && filter.action !== '') query.action = filter.action
      if (filter.since !== undefined) query.since = filter.since
      if (filter.until !== undefined) query.until = filter.until
      const rows = await audit.list(query, perPage + 1, beforeId)
      const more = rows.length > perPage
      const page = rows.slice(0, perPage)
      return { rows: page, nextBefore: more ? (page[page.length - 1]?.id ?? null) : null, unknownNames }
    },

    /** Tomorrow in the site zone as YYYY-MM-DD: the earliest custom expiry (the date picker's minimum). */
    tomorrow (timeZone: string): string {
      const p = zonedParts(clock.now() + 86400, timeZone)
      return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`
    }
  }
}

export type ModerationService = ReturnType<typeof moderationService>
