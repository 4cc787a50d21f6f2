import type { Knex } from 'knex'
import type { WordAction } from '../../lib/word-filter'

/** Anti-abuse queries: the flood slot on users, and the word_filters table. */

export interface WordFilterRow {
  id: number
  word: string
  word_key: string
  action: WordAction
  replacement: string
  created_by: number | null
  created_at: number
  updated_at: number
}

/** Changes whenever a word is added, changed or deleted (checked by other instances with a short TTL). */
export interface WordListSignature { count: number, maxId: number, maxUpdatedAt: number }

export function antiAbuseRepository (db: Knex) {
  return {
    /**
     * Takes the member's posting slot: succeeds only when the last post is at least `interval`
     * seconds old. One conditional UPDATE, so of two simultaneous posts exactly one changes the row
     * (the other sees the new last_post_at once the row lock is released); run inside the caller's
     * transaction so a post that fails later gives the slot back. Returns the contribution count
     * before this one, or null when the slot was not free.
     */
    async takePostingSlot (userId: number, now: number, interval: number, trx: Knex.Transaction): Promise<number | null> {
      const changed = await trx('users')
        .where('id', userId)
        .andWhere('last_post_at', '<=', now - interval)
        .update({ last_post_at: now, contribution_count: trx.raw('contribution_count + 1') })
      if (changed !== 1) return null
      const row = await trx('users').where('id', userId).first<{ contribution_count: number } | undefined>('contribution_count')
      return Math.max(0, Number(row?.contribution_count ?? 1) - 1)
    },

    /**
     * The member's last post time. Inside a transaction on MySQL a locking (current) read: a plain
     * read would answer from the snapshot the transaction may already hold, older than the post
     * that just took the slot.
     */
    async lastPostAt (userId: number, trx?: Knex.Transaction): Promise<number> {
      const q = (trx ?? db)('users').where('id', userId)
      if (trx !== undefined && trx.client.config.client === 'mysql2') void q.forUpdate()
      const row = await q.first<{ last_post_at: number } | undefined>('last_post_at')
      return Number(row?.last_post_at ?? 0)
    },

    async listWords (trx?: Knex.Transaction): Promise<WordFilterRow[]> {
      return await (trx ?? db)<WordFilterRow>('word_filters').select('*').orderBy('id', 'asc')
    },

    async listWordsPage (offset: number, limit: number): Promise<WordFilterRow[]> {
      return await db<WordFilterRow>('word_filters').select('*').orderBy('id', 'desc').offset(offset).limit(limit)
    },

    async countWords (): Promise<number> {
      const row = await db('word_filters').count<{ n: number | string }[]>('* as n').first()
      return Number(row?.n ?? 0)
    },

    async wordListSignature (trx?: Knex.Transaction): Promise<WordListSignature> {
      const row = await (trx ?? db)('word_filters')
        .first<{ count: number | string | null, maxId: number | string | null, maxUpdatedAt: number | string | null } | undefined>(
          db.raw('count(*) as ??', ['count']), db.raw('max(id) as ??', ['maxId']), db.raw('max(updated_at) as ??', ['maxUpdatedAt']))
      return { count: Number(row?.count ?? 0), maxId: Number(row?.maxId ?? 0), maxUpdatedAt: Number(row?.maxUpdatedAt ?? 0) }
    },

    /** The stored words with these keys (in the import's transaction, locked: the audit's before). */
    async wordsByKeys (keys: readonly string[], trx: Knex.Transaction): Promise<WordFilterRow[]> {
      const out: WordFilterRow[] = []
      // In slices: SQLite allows at most 999 bound parameters in one statement.
      for (let i = 0; i < keys.length; i += 500) {
        out.push(...await trx<WordFilterRow>('word_filters').whereIn('word_key', keys.slice(i, i + 500)).forUpdate().select('*'))
      }
      return out
    },

    /** Adds a word, or changes the action/replacement of the word with the same normalized key. */
    async upsertWord (word: { word: string, key: string, action: WordAction, replacement: string, by: number | null, at: number }, outer?: Knex.Transaction): Promise<void> {
      const run = async (trx: Knex.Transaction): Promise<void> => {
        const existing = await trx('word_filters').where('word_key', word.key).forUpdate().first<{ id: number } | undefined>('id')
        if (existing === undefined) {
          await trx('word_filters').insert({
            word: word.word, word_key: word.key, action: word.action, replacement: word.replacement, created_by: word.by, created_at: word.at, updated_at: word.at
          })
        } else {
          // Past every updated_at so far: other instances notice the change by max(updated_at).
          const latest = await trx('word_filters').max<{ m: number | string | null } | undefined>('updated_at as m').first()
          await trx('word_filters').where('id', existing.id).update({
            word: word.word, action: word.action, replacement: word.replacement, updated_at: Math.max(word.at, Number(latest?.m ?? 0) + 1)
          })
        }
      }
      if (outer !== undefined) await run(outer)
      else await db.transaction(run)
    },

    /** The word with this id, locked in the deleting transaction (the audit's before). */
    async wordById (id: number, trx: Knex.Transaction): Promise<WordFilterRow | null> {
      return await trx<WordFilterRow>('word_filters').where('id', id).forUpdate().first() ?? null
    },

    async deleteWord (id: number, trx?: Knex.Transaction): Promise<boolean> {
      return (await (trx ?? db)('word_filters').where('id', id).delete()) > 0
    }
  }
}

export type AntiAbuseRepository = ReturnType<typeof antiAbuseRepository>
