import type { Knex } from 'knex'
import { isMysql } from '../../db/knex'
import type { BanType } from '../../lib/permissions'

/** SQL for bans and the users.ban_* mirror. Every write method takes the caller's transaction. */

export interface BanRow {
  id: number
  user_id: number
  type: string
  reason: string
  created_at: number
  expires_at: number | null
  moderator_id: number
  lifted_at: number | null
  lifted_by: number | null
  lift_reason: string | null
}

/** An open, unexpired ban with the names needed to show it. */
export interface ActiveBanRow {
  id: number
  user_id: number
  username: string
  type: string
  reason: string
  created_at: number
  expires_at: number | null
  moderator_id: number
  moderator_name: string | null
}

export interface BanTargetRow {
  id: number
  username: string
  role: string
  ban_type: string | null
  ban_until: number | null
  ban_reason: string | null
}

export function bansRepository (db: Knex) {
  return {
    /** The member to ban or unban, locked on MySQL so two moderators acting at once take turns (SQLite serialises writers anyway). */
    async lockTarget (userId: number, trx: Knex.Transaction): Promise<BanTargetRow | null> {
      const q = trx<BanTargetRow>('users').where({ id: userId }).first('id', 'username', 'role', 'ban_type', 'ban_until', 'ban_reason')
      if (isMysql(db)) void q.forUpdate()
      return (await q) ?? null
    },

    async findUserIdByName (username: string): Promise<number | null> {
      const row = await db('users').where({ username_key: username.trim().toLowerCase() }).first<{ id: number } | undefined>('id')
      return row === undefined ? null : row.id
    },

    async openBansOf (userId: number, trx: Knex.Transaction): Promise<BanRow[]> {
      return await trx<BanRow>('bans').where({ user_id: userId }).whereNull('lifted_at').orderBy('id', 'desc')
    },

    async insertBan (ban: { userId: number, type: BanType, reason: string, createdAt: number, expiresAt: number | null, moderatorId: number }, trx: Knex.Transaction): Promise<number> {
      const [id] = await trx('bans').insert({
        user_id: ban.userId,
        type: ban.type,
        reason: ban.reason,
        created_at: ban.createdAt,
        expires_at: ban.expiresAt,
        moderator_id: ban.moderatorId
      })
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    },

    /** Closes a member's open bans (an early lift, or a new ban replacing the old one). */
    async closeOpenBans (userId: number, close: { at: number, by: number, reason: string }, trx: Knex.Transaction): Promise<number> {
      return await trx('bans').where({ user_id: userId }).whereNull('lifted_at')
        .update({ lifted_at: close.at, lifted_by: close.by, lift_reason: close.reason })
    },

    /**
     * Marks open bans whose expiry has passed as closed at their expiry (lifted_by stays NULL: nobody
     * lifted them). Bookkeeping only — the bans already stopped applying at expires_at — that keeps
     * the darkroom's index walk over open bans short.
     */
    async closeExpiredBans (now: number, trx: Knex.Transaction): Promise<number> {
      return await trx('bans').whereNull('lifted_at').whereNotNull('expires_at').where('expires_at', '<=', now)
        .update({ lifted_at: trx.ref('expires_at'), lift_reason: '到期自动解除' })
    },

    async setUserBan (userId: number, ban: { type: BanType, until: number | null, reason: string } | null, trx: Knex.Transaction): Promise<void> {
      await trx('users').where({ id: userId }).update(ban === null
        ? { ban_type: null, ban_until: null, ban_reason: null }
        : { ban_type: ban.type, ban_until: ban.until, ban_reason: ban.reason })
    },

    /**
     * Open, unexpired bans, newest first, keyset-paginated by ban id. Uses the (lifted_at, id) index:
     * the walk visits open bans only, in id order, and stops after `limit` matches.
     */
    async listActive (now: number, limit: number, beforeId?: number): Promise<ActiveBanRow[]> {
      const q = db('bans as b')
        .join('users as u', 'u.id', 'b.user_id')
        .leftJoin('users as m', 'm.id', 'b.moderator_id')
        .select<ActiveBanRow[]>('b.id', 'b.user_id', 'u.username', 'b.type', 'b.reason', 'b.created_at', 'b.expires_at', 'b.moderator_id', 'm.username as moderator_name')
        .whereNull('b.lifted_at')
        .where((w) => { void w.whereNull('b.expires_at').orWhere('b.expires_at', '>', now) })
        .orderBy('b.id', 'desc')
        .limit(limit)
      if (beforeId !== undefined) void q.where('b.id', '<', beforeId)
      return await q
    }
  }
}

export type BansRepository = ReturnType<typeof bansRepository>
