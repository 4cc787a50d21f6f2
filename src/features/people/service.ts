import { isIP } from 'node:net'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { forbidden, notFound } from '../../lib/http-errors'
import { isRole, type AuthUser, type Role } from '../../lib/permissions'
import type { AuditEntry, AuditRow } from '../moderation'
import type { MemberAdminRepository, MemberListRow, MemberSearch } from '../members'

/**
 * 用户管理: finding members and what an admin does to an account (role, password reset, lock, delete a
 * spammer). Each change is one transaction with its audit row (before/after). No Fastify types here.
 */

export const messages = {
  notFound: '指定的用户不存在',
  self: '不能对自己的账号进行此操作',
  adminTarget: '不能对管理员进行此操作，请先将其改为其他用户组',
  badRole: '请选择一个用户组',
  sameRole: '该用户已经在这个用户组中',
  reasonLength: '理由必须为 2 到 200 个字符',
  alreadyLocked: '该账号已经被锁定',
  notLocked: '该账号没有被锁定',
  passwordMismatch: '两次输入的密码不一致'
} as const

export const PER_PAGE = 30
/** An IP hash search lists at most this many members (the comments written from one address). */
const IP_HASH_MEMBERS = 200

export interface PeopleDeps {
  db: Knex
  clock: Clock
  members: MemberAdminRepository
  audit: (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>
  /** Member ids who commented from a keyed IP hash (the comments feature). */
  authorsByIpHash: (hash: string, limit: number) => Promise<number[]>
  /** The keyed hash of an address, as comments store it. */
  ipHashOf: (ip: string) => string
  /** bcrypt at the configured cost; the password's rules (validation.ts): null when it is acceptable. */
  hashPassword: (password: string) => Promise<string>
  validatePassword: (password: string) => string | null
  /** A permanent 禁止访问 whose ban hooks hide all the member's content: moderation's ban, one transaction. */
  banForever: (actor: AuthUser, userId: number, reason: string, requestId: string) => Promise<number>
  auditOfMember: (userId: number, limit: number) => Promise<AuditRow[]>
}

export type SearchKind = 'name' | 'email' | 'ip' | 'uid' | 'all'

/** What a search box holds: an e-mail, a uid, an IP address or its stored hash, else a name prefix. */
export function classifyQuery (q: string): SearchKind {
  const t = q.trim()
  if (t === '') return 'all'
  if (/^\d{1,10}$/.test(t)) return 'uid'
  if (isIP(t) !== 0 || /^[0-9a-f]{32}$/i.test(t)) return 'ip'
  if (t.includes('@')) return 'email'
  return 'name'
}

export function parseAdminReason (raw: string | undefined): string | null {
  const reason = (raw ?? '').replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim()
  const n = [...reason].length
  return n < 2 || n > 200 ? null : reason
}

type Row = MemberListRow & { lock_reason: string }

function state (row: Row): Record<string, unknown> {
  return { role: row.role, locked_at: row.locked_at, lock_reason: row.lock_reason, must_change_password: Boolean(row.must_change_password) }
}

export function peopleService (deps: PeopleDeps) {
  const { db, clock, members, audit } = deps

  /** Runs `change` on the locked member row inside one transaction, refusing self and (unless allowed) admins. */
  async function onMember<T> (actor: AuthUser, userId: number, rules: { allowAdmin?: boolean }, change: (row: Row, trx: Knex.Transaction) => Promise<T>): Promise<T> {
    if (userId === actor.id) throw forbidden(messages.self)
    return await db.transaction(async (trx) => {
      const row = await members.lockRow(userId, trx)
      if (row === null) throw notFound(messages.notFound)
      if (rules.allowAdmin !== true && row.role === 'admin') throw forbidden(messages.adminTarget)
      return await change(row, trx)
    })
  }

  return {
    /** One page of members matching the search box, newest first; `nextBefore` for the next page. */
    async search (q: string, beforeId?: number): Promise<{ kind: SearchKind, rows: MemberListRow[], nextBefore: number | null }> {
      const kind = classifyQuery(q)
      const t = q.trim()
      let search: MemberSearch = { kind: 'all' }
      if (kind === 'name') search = { kind: 'name', prefix: t }
      if (kind === 'email') search = { kind: 'email', email: t }
      if (kind === 'uid') search = { kind: 'ids', ids: [Number(t)] }
      if (kind === 'ip') {
        const hash = isIP(t) !== 0 ? deps.ipHashOf(t) : t.toLowerCase()
        search = { kind: 'ids', ids: await deps.authorsByIpHash(hash, IP_HASH_MEMBERS) }
      }
      const rows = await members.search(search, PER_PAGE + 1, beforeId)
      const more = rows.length > PER_PAGE
      const page = rows.slice(0, PER_PAGE)
      return { kind, rows: page, nextBefore: more ? (page[page.length - 1]?.id ?? null) : null }
    },

    async member (userId: number): Promise<{ row: Row, history: AuditRow[] }> {
      const row = await members.find(userId)
      if (row === null) throw notFound(messages.notFound)
      return { row, history: await deps.auditOfMember(userId, 30) }
    },

    /** member / moderator / admin (and any role permissions.ts adds): an admin cannot change their own. */
    async changeRole (actor: AuthUser, userId: number, rawRole: string | undefined, requestId: string): Promise<void> {
      if (!isRole(rawRole)) throw forbidden(messages.badRole)
      const role: Role = rawRole
      await onMember(actor, userId, { allowAdmin: true }, async (row, trx) => {
        if (row.role === role) return
        await members.setRole(userId, role, trx)
        await audit({ actorId: actor.id, action: 'member_role', targetType: 'user', targetId: userId, targetUserId: userId, before: { role: row.role }, after: { role }, requestId, at: clock.now() }, trx)
      })
    },

    /** Sets a temporary password the member must replace at next login; their sessions end. Returns a field error or null. */
    async resetPassword (actor: AuthUser, userId: number, input: { password?: string, password2?: string }, requestId: string): Promise<string | null> {
      const password = input.password ?? ''
      const problem = deps.validatePassword(password)
      if (problem !== null) return problem
      if (password !== (input.password2 ?? '')) return messages.passwordMismatch
      const hash = await deps.hashPassword(password)
      await onMember(actor, userId, {}, async (row, trx) => {
        const ended = await members.resetPassword(userId, hash, trx)
        // The password itself is never logged, not even hashed.
        await audit({ actorId: actor.id, action: 'member_password_reset', targetType: 'user', targetId: userId, targetUserId: userId, before: state(row), after: { ...state(row), must_change_password: true, sessions_ended: ended }, requestId, at: clock.now() }, trx)
      })
      return null
    },

    async lock (actor: AuthUser, userId: number, reason: string, requestId: string): Promise<void> {
      const now = clock.now()
      await onMember(actor, userId, {}, async (row, trx) => {
        if (row.locked_at !== null) throw forbidden(messages.alreadyLocked)
        const ended = await members.setLock(userId, { at: now, reason }, trx)
        await audit({ actorId: actor.id, action: 'member_lock', targetType: 'user', targetId: userId, targetUserId: userId, reason, before: state(row), after: { ...state(row), locked_at: now, lock_reason: reason, sessions_ended: ended }, requestId, at: now }, trx)
      })
    },

    async unlock (actor: AuthUser, userId: number, reason: string, requestId: string): Promise<void> {
      const now = clock.now()
      await onMember(actor, userId, {}, async (row, trx) => {
        if (row.locked_at === null) throw forbidden(messages.notLocked)
        await members.setLock(userId, null, trx)
        await audit({ actorId: actor.id, action: 'member_unlock', targetType: 'user', targetId: userId, targetUserId: userId, reason, before: state(row), after: { ...state(row), locked_at: null, lock_reason: '' }, requestId, at: now }, trx)
      })
    },

    /**
     * 删除垃圾用户: a permanent 禁止访问 whose ban hooks hide every comment, thread and reply the member
     * wrote (counters moved with them), in the ban's one transaction; its audit row is `spammer_delete`
     * with what each hook hid. Admins are refused (demote first), as bans refuse them.
     */
    async deleteSpammer (actor: AuthUser, userId: number, reason: string, requestId: string): Promise<void> {
      if (userId === actor.id) throw forbidden(messages.self)
      const row = await members.find(userId)
      if (row === null) throw notFound(messages.notFound)
      if (row.role === 'admin') throw forbidden(messages.adminTarget)
      await deps.banForever(actor, userId, reason, requestId)
    }
  }
}

export type PeopleService = ReturnType<typeof peopleService>
