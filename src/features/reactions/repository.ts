import type { Knex } from 'knex'

/** Reaction rows and the per-article counters (articles.react_<key>), always changed together. */

export const REACTION_KEYS = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan'] as const
export type ReactionKey = typeof REACTION_KEYS[number]

export function isReactionKey (value: unknown): value is ReactionKey {
  return typeof value === 'string' && (REACTION_KEYS as readonly string[]).includes(value)
}

/** The counter column of a kind: only ever built from a validated key, never from input text. */
export function counterColumn (key: ReactionKey): string {
  return `react_${key}`
}

export interface ReactionKindRow { key: string, name: string, icon: string, display_order: number }
export interface ReactionRow { id: number, article_id: number, user_id: number, kind: ReactionKey, created_at: number }
export interface RecentReactionRow { user_id: number, username: string, kind: string, created_at: number }

export function reactionsRepository (db: Knex) {
  return {
    async kinds (): Promise<ReactionKindRow[]> {
      return await db('reaction_kinds').orderBy([{ column: 'display_order' }, { column: 'key' }]).select('key', 'name', 'icon', 'display_order')
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

    /**
     * Locks the article row before anything else in a reaction transaction (MySQL; SQLite serialises
     * writers anyway). Every path then takes the article first and the reaction row second: a change
     * or withdrawal used to lock the reaction row first and the article second, a new reaction the
     * other way round, and one member's mixed concurrent clicks deadlocked on MariaDB.
     */
    async lockArticle (articleId: number, trx: Knex.Transaction): Promise<void> {
      if (trx.client.config.client !== 'mysql2') return
      await trx('articles').where({ id: articleId }).forUpdate().first('id')
    },

    async adjustCounter (articleId: number, changes: Partial<Record<ReactionKey, 1 | -1>>, trx: Knex.Transaction): Promise<void> {
      const update: Record<string, Knex.Raw> = {}
      for (const key of REACTION_KEYS) {
        const delta = changes[key]
        if (delta === undefined) continue
        const column = counterColumn(key)
        update[column] = delta > 0 ? trx.raw('?? + 1', [column]) : trx.raw('?? - 1', [column])
      }
      await trx('articles').where({ id: articleId }).update(update)
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

    /** Articles whose counters differ from their rows, per kind (for reactions:reconcile). */
    async drift (): Promise<Array<{ id: number, key: ReactionKey, stored: number, actual: number }>> {
      const out: Array<{ id: number, key: ReactionKey, stored: number, actual: number }> = []
      for (const key of REACTION_KEYS) {
        const column = counterColumn(key)
        const rows = await db('articles as a')
          .leftJoin(db('reactions').where('kind', key).groupBy('article_id').select('article_id', db.raw('count(*) as n')).as('r'), 'r.article_id', 'a.id')
          .whereRaw('?? <> coalesce(r.n, 0)', [`a.${column}`])
          .select('a.id', `a.${column} as stored`, db.raw('coalesce(r.n, 0) as actual'))
        for (const r of rows as Array<{ id: number, stored: number, actual: number | string }>) out.push({ id: r.id, key, stored: Number(r.stored), actual: Number(r.actual) })
      }
      return out
    },

    async setCounter (articleId: number, key: ReactionKey, value: number): Promise<void> {
      await db('articles').where({ id: articleId }).update({ [counterColumn(key)]: value })
    }
  }
}

export type ReactionsRepository = ReturnType<typeof reactionsRepository>
