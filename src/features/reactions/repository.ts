import type { Knex } from 'knex'
import { ARTICLE_REACTION_KEYS, type ArticleReactionKey } from '../portal'

/**
 * Reaction rows. Their per-article counters (articles.react_<key>) are the portal's columns: the
 * service moves them through `app.portal` in the same transaction as the rows.
 */

/** The kinds are the counters an article carries. */
export const REACTION_KEYS = ARTICLE_REACTION_KEYS
export type ReactionKey = ArticleReactionKey

export function isReactionKey (value: unknown): value is ReactionKey {
  return typeof value === 'string' && (REACTION_KEYS as readonly string[]).includes(value)
}

export interface ReactionKindRow { key: string, name: string, icon: string, display_order: number, enabled: boolean }
export interface ReactionRow { id: number, article_id: number, user_id: number, kind: ReactionKey, created_at: number }
export interface RecentReactionRow { user_id: number, username: string, kind: string, created_at: number }

export function reactionsRepository (db: Knex) {
  return {
    /** Every kind, enabled or not, in display order (MariaDB answers the boolean as 0/1). */
    async kinds (trx?: Knex.Transaction): Promise<ReactionKindRow[]> {
      const q = (trx ?? db)('reaction_kinds').orderBy([{ column: 'display_order' }, { column: 'key' }])
        .select<Array<Omit<ReactionKindRow, 'enabled'> & { enabled: number | boolean }>>('key', 'name', 'icon', 'display_order', 'enabled')
      if (trx !== undefined) void q.forUpdate()
      return (await q).map((k) => ({ ...k, display_order: Number(k.display_order), enabled: Boolean(k.enabled) }))
    },

    async updateKind (key: string, fields: { name: string, icon: string, enabled: boolean }, trx: Knex.Transaction): Promise<void> {
      await trx('reaction_kinds').where('key', key).update(fields)
    },

    async setOrder (key: string, displayOrder: number, trx: Knex.Transaction): Promise<void> {
      await trx('reaction_kinds').where('key', key).update({ display_order: displayOrder })
    },

    async find (articleId: number, userId: number, trx?: Knex.Transaction): Promise<ReactionRow | null> {
      const row = await (trx ?? db)('reactions').where({ article_id: articleId, user_id: userId }).first() as ReactionRow | undefined
      return row ?? null
    },

    async recent (articleId: number, limit: number): Promise<RecentReactionRow[]> {
      return await db('reactions as r').join('users as u', 'u.id', 'r.user_id')
        .where('r.article_id', articleId)
        .orderBy([{ column: 'r.created_at', order: 'desc' }, { column: 'r.id', order: 'desc' }])
        .limit(limit)
        .select('r.user_id', 'u.username', 'r.kind', 'r.created_at')
    },

    async countSince (userId: number, since: number, trx: Knex.Transaction): Promise<number> {
      const row = await trx('reactions').where('user_id', userId).andWhere('created_at', '>=', since).count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    /** Inserts the member's reaction; throws a unique violation when they already have one. */
    async insert (articleId: number, userId: number, kind: ReactionKey, at: number, trx: Knex.Transaction): Promise<void> {
      await trx('reactions').insert({ article_id: articleId, user_id: userId, kind, created_at: at })
    },

    /** Changes the kind only while the reaction is younger than `since`; returns whether it did. */
    async changeKind (articleId: number, userId: number, from: ReactionKey, to: ReactionKey, since: number, trx: Knex.Transaction): Promise<boolean> {
      const n = await trx('reactions').where({ article_id: articleId, user_id: userId, kind: from }).andWhere('created_at', '>', since).update({ kind: to })
      return n === 1
    },

    async withdraw (articleId: number, userId: number, kind: ReactionKey, since: number, trx: Knex.Transaction): Promise<boolean> {
      const n = await trx('reactions').where({ article_id: articleId, user_id: userId, kind }).andWhere('created_at', '>', since).delete()
      return n === 1
    },

    /** Reaction rows per article and kind, for the given articles (reactions:reconcile compares them with the counters). */
    async countsFor (articleIds: readonly number[]): Promise<Map<number, Partial<Record<ReactionKey, number>>>> {
      const out = new Map<number, Partial<Record<ReactionKey, number>>>()
      if (articleIds.length === 0) return out
      const rows = await db('reactions').whereIn('article_id', articleIds).groupBy('article_id', 'kind')
        .select<Array<{ article_id: number, kind: string, n: number | string }>>('article_id', 'kind', db.raw('count(*) as n'))
      for (const r of rows) {
        if (!isReactionKey(r.kind)) continue
        const id = Number(r.article_id)
        out.set(id, { ...out.get(id), [r.kind]: Number(r.n) })
      }
      return out
    }
  }
}

export type ReactionsRepository = ReturnType<typeof reactionsRepository>
