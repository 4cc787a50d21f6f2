import type { Knex } from 'knex'
import type { Role } from '../../lib/permissions'
import { nameKey, sessionsRepository, type UserRow } from './repository'

/**
 * What 用户管理 (the admin centre's member pages, src/features/people) may do to accounts: find them,
 * change a role, reset a password, lock. Queries only, each taking the caller's transaction; the rules,
 * the audit rows and the transactions are the people feature's. Shared as `app.memberAdmin`.
 */

export interface MemberListRow {
  id: number
  username: string
  email: string
  role: string
  created_at: number
  last_login_at: number | null
  post_count: number
  ban_type: string | null
  ban_until: number | null
  locked_at: number | null
  must_change_password: boolean | number
}

const LIST_COLUMNS = ['id', 'username', 'email', 'role', 'created_at', 'last_login_at', 'post_count', 'ban_type', 'ban_until', 'locked_at', 'must_change_password'] as const

export type MemberSearch =
  | { kind: 'all' }
  | { kind: 'name', prefix: string }
  | { kind: 'email', email: string }
  | { kind: 'ids', ids: readonly number[] }

/**
 * LIKE's own characters typed in a name are meant literally. `!` escapes them: a backslash is read as a
 * string escape by MariaDB but not by SQLite, so `ESCAPE '\\'` means one thing on one dialect only.
 */
function escapeLike (s: string): string {
  return s.replace(/[!%_]/g, (c) => '!' + c)
}

export function memberAdminRepository (db: Knex) {
  const sessions = sessionsRepository(db)
  return {
    /**
     * One page of members, newest first, keyset by id (`beforeId`): a name prefix walks the
     * username_key index, an e-mail is one lookup of email_key, no deep OFFSET anywhere.
     */
    async search (search: MemberSearch, limit: number, beforeId?: number): Promise<MemberListRow[]> {
      const q = db<UserRow>('users').select<MemberListRow[]>(...LIST_COLUMNS).orderBy('id', 'desc').limit(limit)
      if (search.kind === 'name') void q.whereRaw("username_key like ? escape '!'", [escapeLike(nameKey(search.prefix)) + '%'])
      if (search.kind === 'email') void q.where({ email_key: nameKey(search.email) })
      if (search.kind === 'ids') void q.whereIn('id', search.ids.length > 0 ? [...search.ids] : [0])
      if (beforeId !== undefined) void q.where('id', '<', beforeId)
      return await q
    },

    async find (id: number, trx?: Knex.Transaction): Promise<MemberListRow & { lock_reason: string } | null> {
      const row = await (trx ?? db)('users').where({ id }).first<MemberListRow & { lock_reason: string } | undefined>(...LIST_COLUMNS, 'lock_reason')
      return row ?? null
    },

    /** The row, locked for the rest of the transaction: what an audit row's `before` shows. */
    async lockRow (id: number, trx: Knex.Transaction): Promise<MemberListRow & { lock_reason: string } | null> {
      const row = await trx('users').where({ id }).forUpdate().first<MemberListRow & { lock_reason: string } | undefined>(...LIST_COLUMNS, 'lock_reason')
      return row ?? null
    },

    async setRole (id: number, role: Role, trx: Knex.Transaction): Promise<void> {
      await trx('users').where({ id }).update({ role })
    },

    /** A temporary password set by an admin: the member must choose a new one at next login; their sessions end. */
    async resetPassword (id: number, passwordHash: string, trx: Knex.Transaction): Promise<number> {
      await trx('users').where({ id }).update({ password_hash: passwordHash, must_change_password: true })
      return await sessions.deleteAllOfUser(id, trx)
    },

    /** Locks (cannot log in; every session ends) or unlocks (locked null) an account. */
    async setLock (id: number, lock: { at: number, reason: string } | null, trx: Knex.Transaction): Promise<number> {
      await trx('users').where({ id }).update({ locked_at: lock?.at ?? null, lock_reason: lock?.reason ?? '' })
      return lock === null ? 0 : await sessions.deleteAllOfUser(id, trx)
    }
  }
}

export type MemberAdminRepository = ReturnType<typeof memberAdminRepository>
