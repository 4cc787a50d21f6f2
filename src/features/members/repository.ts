import type { Knex } from 'knex'
import { isRole, type AuthUser, type BanType, type Role } from '../../lib/permissions'
import { usernameKey, usernameSkeleton } from '../../lib/username-skeleton'

export interface UserRow {
  id: number
  username: string
  username_key: string
  /** usernameSkeleton(username), unique: look-alike names are refused (null for older look-alikes). */
  username_skeleton: string | null
  email: string
  email_key: string
  password_hash: string
  role: string
  created_at: number
  last_login_at: number | null
  last_post_at: number
  post_count: number
  ban_type: string | null
  ban_until: number | null
  ban_reason: string | null
  must_change_password: boolean | number
  locked_at: number | null
  lock_reason: string
  /** Unix seconds the current address was confirmed; null = not verified (issue 20). */
  email_verified_at: number | null
  unread_notifications: number
  signature: string
}

const AUTH_COLUMNS = ['id', 'username', 'role', 'created_at', 'post_count', 'ban_type', 'ban_until', 'ban_reason', 'must_change_password', 'locked_at', 'email_verified_at', 'unread_notifications'] as const

export function toAuthUser (row: Pick<UserRow, typeof AUTH_COLUMNS[number]>): AuthUser {
  const banType: BanType | null = row.ban_type === 'post' || row.ban_type === 'visit' ? row.ban_type : null
  return {
    id: row.id,
    username: row.username,
    role: isRole(row.role) ? row.role : 'member',
    createdAt: row.created_at,
    postCount: row.post_count,
    banType,
    banUntil: row.ban_until,
    banReason: row.ban_reason,
    mustChangePassword: Boolean(row.must_change_password),
    locked: row.locked_at !== null,
    emailVerified: row.email_verified_at !== null,
    unreadNotifications: Number(row.unread_notifications ?? 0)
  }
}

/**
 * The lower-cased copy that carries the unique index (case-insensitive on both dialects), of the NFKC
 * form: a login typed in full-width letters finds the account its plain letters name.
 */
export const nameKey = usernameKey

export function usersRepository (db: Knex) {
  return {
    async findAuthUser (id: number, trx?: Knex.Transaction): Promise<AuthUser | null> {
      const row = await (trx ?? db)<UserRow>('users').where({ id }).first(...AUTH_COLUMNS)
      return row === undefined ? null : toAuthUser(row)
    },

    async findById (id: number, trx?: Knex.Transaction): Promise<UserRow | null> {
      const row = await (trx ?? db)<UserRow>('users').where({ id }).first()
      return row ?? null
    },

    async findByUsername (username: string, trx?: Knex.Transaction): Promise<UserRow | null> {
      const row = await (trx ?? db)<UserRow>('users').where({ username_key: nameKey(username) }).first()
      return row ?? null
    },

    async findByLogin (login: string, trx?: Knex.Transaction): Promise<UserRow | null> {
      const key = nameKey(login)
      // A username wins over an e-mail that happens to be spelled the same (a name cannot contain '@'-free e-mail anyway).
      const rows = await (trx ?? db)<UserRow>('users').where({ username_key: key }).orWhere({ email_key: key }).limit(2)
      return rows.find((r) => r.username_key === key) ?? rows[0] ?? null
    },

    async usernameTaken (username: string, trx?: Knex.Transaction): Promise<boolean> {
      const row = await (trx ?? db)('users').where({ username_key: nameKey(username) }).first('id')
      return row !== undefined
    },

    /** Whether a name that looks the same (same skeleton) is already registered. */
    async lookAlikeTaken (username: string, trx?: Knex.Transaction): Promise<boolean> {
      const row = await (trx ?? db)('users').where({ username_skeleton: usernameSkeleton(username) }).first('id')
      return row !== undefined
    },

    async emailTaken (email: string, exceptUserId: number | null = null, trx?: Knex.Transaction): Promise<boolean> {
      const q = (trx ?? db)('users').where({ email_key: nameKey(email) })
      if (exceptUserId !== null) q.whereNot({ id: exceptUserId })
      return (await q.first('id')) !== undefined
    },

    async insert (user: { username: string, email: string, passwordHash: string, role: string, createdAt: number, emailVerifiedAt: number | null }, trx?: Knex.Transaction): Promise<number> {
      const [id] = await (trx ?? db)('users').insert({
        username: user.username,
        username_key: nameKey(user.username),
        username_skeleton: usernameSkeleton(user.username),
        email: user.email,
        email_key: nameKey(user.email),
        password_hash: user.passwordHash,
        role: user.role,
        created_at: user.createdAt,
        email_verified_at: user.emailVerifiedAt
      })
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    },

    async touchLogin (id: number, now: number, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('users').where({ id }).update({ last_login_at: now })
    },

    async updatePasswordHash (id: number, passwordHash: string, trx?: Knex.Transaction): Promise<void> {
      // A new password set by the member clears an admin's "must change at next login".
      await (trx ?? db)('users').where({ id }).update({ password_hash: passwordHash, must_change_password: false })
    },

    /** The same password under our hash (an imported one replaced at login): nothing else changes. */
    async rehashPassword (id: number, passwordHash: string): Promise<void> {
      await db('users').where({ id }).update({ password_hash: passwordHash })
    },

    /** A new address is not verified until its link is followed. */
    async updateEmail (id: number, email: string, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('users').where({ id }).update({ email, email_key: nameKey(email), email_verified_at: null })
    },

    /** Marks the address verified, only if it is still `email` (a change since the link was sent voids it). */
    async markEmailVerified (id: number, email: string, now: number, trx?: Knex.Transaction): Promise<boolean> {
      return await (trx ?? db)('users').where({ id, email_key: nameKey(email) }).update({ email_verified_at: now }) === 1
    },

    async setRole (id: number, role: Role, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('users').where({ id }).update({ role })
    },

    /** 帖子数: the forum keeps it on the user row (users.post_count); 0 for an account that is gone. */
    async postCount (id: number, trx?: Knex.Transaction): Promise<number> {
      const row = await (trx ?? db)<UserRow>('users').where({ id }).first('post_count')
      return Number(row?.post_count ?? 0)
    }
  }
}

export type UsersRepository = ReturnType<typeof usersRepository>

export type TokenPurpose = 'reset' | 'verify'

export interface AccountTokenRow {
  id: number
  user_id: number
  purpose: TokenPurpose
  token_hash: string
  email: string
  created_at: number
  expires_at: number
  used_at: number | null
}

/** `account_tokens`: single-use links (找回密码, e-mail verification), stored as hashes. */
export function accountTokensRepository (db: Knex) {
  return {
    async insert (row: Omit<AccountTokenRow, 'id' | 'used_at'>, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('account_tokens').insert({ ...row, used_at: null })
    },

    async findByHash (tokenHash: string, trx?: Knex.Transaction): Promise<AccountTokenRow | null> {
      return (await (trx ?? db)<AccountTokenRow>('account_tokens').where({ token_hash: tokenHash }).first()) ?? null
    },

    /** Spends a token: true for the one caller whose UPDATE found it unused and unexpired. */
    async use (id: number, now: number, trx?: Knex.Transaction): Promise<boolean> {
      return await (trx ?? db)('account_tokens').where({ id }).whereNull('used_at').andWhere('expires_at', '>', now).update({ used_at: now }) === 1
    },

    /** Links of one kind sent to a member since `since` (the per-address limit; by the user_id index). */
    async countSince (userId: number, purpose: TokenPurpose, since: number, trx?: Knex.Transaction): Promise<number> {
      const row = await (trx ?? db)('account_tokens').where({ user_id: userId, purpose }).andWhere('created_at', '>', since)
        .first<{ n: number | string } | undefined>(db.raw('count(*) as n'))
      return Number(row?.n ?? 0)
    },

    /** Voids a member's open links of one kind (a new password or address makes the old ones pointless). */
    async voidOpen (userId: number, purpose: TokenPurpose, now: number, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('account_tokens').where({ user_id: userId, purpose }).whereNull('used_at').update({ used_at: now })
    },

    /** Rows expired a day ago or more: the table stays the size of the last day's links. */
    async deleteExpired (cutoff: number, trx?: Knex.Transaction): Promise<number> {
      return await (trx ?? db)('account_tokens').where('expires_at', '<', cutoff).delete()
    }
  }
}

export function sessionsRepository (db: Knex) {
  return {
    /** Ends every session of a member (an admin locked the account or reset its password). Returns how many. */
    async deleteAllOfUser (userId: number, trx?: Knex.Transaction): Promise<number> {
      return await (trx ?? db)('sessions').where({ user_id: userId }).delete()
    },

    /** Ends every session of a member except `keepSessionId` (after a password change). Returns how many. */
    async deleteOthersOfUser (userId: number, keepSessionId: string, trx?: Knex.Transaction): Promise<number> {
      return await (trx ?? db)('sessions').where({ user_id: userId }).whereNot({ id: keepSessionId }).delete()
    }
  }
}

/**
 * Failed logins, in the database so every app instance sees the same count.
 * `account_key` names the account tried ("uid:7", or "login:<typed name>" for names that do not exist);
 * `ip_hash` is a keyed hash of the address (src/lib/visitor.ts), never the address itself.
 */
export interface AttemptCount { total: number, failed: number }

export function loginAttemptsRepository (db: Knex) {
  return {
    /** Writes one attempt, not yet judged (autocommit, so every later count sees it); returns its id. */
    async record (accountKey: string, ipHash: string, at: number): Promise<number> {
      const [id] = await db('login_attempts').insert({ account_key: accountKey, ip_hash: ipHash, created_at: at, failed: false })
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    },

    async markFailed (id: number): Promise<void> {
      await db('login_attempts').where({ id }).update({ failed: true })
    },

    async remove (id: number): Promise<void> {
      await db('login_attempts').where({ id }).delete()
    },

    /** Attempts since `since` for the account and for the IP: all of them (in flight included) and the failures. */
    async countSince (accountKey: string, ipHash: string, since: number): Promise<{ account: AttemptCount, ip: AttemptCount }> {
      // Two indexed queries rather than one OR, so each uses its own (key, created_at) index.
      const count = async (column: 'account_key' | 'ip_hash', value: string): Promise<AttemptCount> => {
        const row = await db('login_attempts').where(column, value).andWhere('created_at', '>', since)
          .first<{ total: number | string, failed: number | string | null } | undefined>(
            db.raw('count(*) as total'), db.raw('sum(case when failed then 1 else 0 end) as failed'))
        return { total: Number(row?.total ?? 0), failed: Number(row?.failed ?? 0) }
      }
      return { account: await count('account_key', accountKey), ip: await count('ip_hash', ipHash) }
    },

    async clearAccount (accountKey: string): Promise<void> {
      await db('login_attempts').where({ account_key: accountKey }).delete()
    },

    async deleteOlderThan (cutoff: number): Promise<number> {
      return await db('login_attempts').where('created_at', '<=', cutoff).delete()
    }
  }
}
