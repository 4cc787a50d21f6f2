import type { Knex } from 'knex'
import { badRequest, notFound } from '../../lib/http-errors'

/**
 * 屏蔽用户: a member blocks another. The blocked member's posts and comments collapse for the blocker
 * (the views read `user.blockedIds`, loaded with the member), and the notifications service asks
 * `isBlocked` before telling the blocker anything the blocked member did (replies, quotes, @mentions).
 */

/** A member may block this many others (each id rides on every page request of the member). */
export const MAX_BLOCKS = 500

export const blockMessages = {
  self: '不能屏蔽自己',
  noUser: '该用户不存在',
  tooMany: `最多可以屏蔽 ${MAX_BLOCKS} 位用户，请先取消一些屏蔽`
} as const

export interface BlockedMember { id: number, username: string, blockedAt: number }

export function memberBlocks (db: Knex) {
  return {
    async block (userId: number, blockedId: number, now: number): Promise<void> {
      if (userId === blockedId) throw badRequest(blockMessages.self)
      await db.transaction(async (trx) => {
        if (await trx('users').where({ id: blockedId }).first('id') === undefined) throw notFound(blockMessages.noUser)
        const [row] = await trx('member_blocks').where({ user_id: userId }).count<Array<{ n: number | string }>>({ n: '*' })
        if (Number(row?.n ?? 0) >= MAX_BLOCKS) throw badRequest(blockMessages.tooMany)
        await trx('member_blocks').insert({ user_id: userId, blocked_id: blockedId, created_at: now }).onConflict(['user_id', 'blocked_id']).ignore()
      })
    },

    async unblock (userId: number, blockedId: number): Promise<void> {
      await db('member_blocks').where({ user_id: userId, blocked_id: blockedId }).delete()
    },

    /** The ids a member blocked (primary key prefix: one index range). */
    async blockedIds (userId: number): Promise<number[]> {
      const rows = await db('member_blocks').where({ user_id: userId }).select<Array<{ blocked_id: number }>>('blocked_id').limit(MAX_BLOCKS)
      return rows.map((r) => Number(r.blocked_id))
    },

    async list (userId: number): Promise<BlockedMember[]> {
      const rows = await db('member_blocks as b').join('users as u', 'u.id', 'b.blocked_id').where('b.user_id', userId)
        .orderBy('b.created_at', 'desc').limit(MAX_BLOCKS)
        .select<Array<{ id: number, username: string, created_at: number }>>('u.id', 'u.username', 'b.created_at')
      return rows.map((r) => ({ id: r.id, username: r.username, blockedAt: r.created_at }))
    },

    async isBlocked (trx: Knex.Transaction | Knex, userId: number, actorId: number): Promise<boolean> {
      return (await trx('member_blocks').where({ user_id: userId, blocked_id: actorId }).first('blocked_id')) !== undefined
    }
  }
}

export type MemberBlocks = ReturnType<typeof memberBlocks>
