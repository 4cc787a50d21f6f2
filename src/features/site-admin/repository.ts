import type { Knex } from 'knex'

/**
 * The admin centre's own queries. The dashboard counts read other features' tables for now, each a
 * single indexed COUNT; they belong to those features' services (members, portal, comments, forum)
 * and move there once those expose them.
 */

export interface CountPair { today: number, total: number }

/** A row of `app_processes` (one per live app process: src/features/site-admin/heartbeat.ts). */
export interface ProcessRow {
  id: string
  pid: number
  host: string
  version: string
  started_at: number | string
  seen_at: number | string
  error_count: number | string
  recent_errors: string
}

async function count (q: Knex.QueryBuilder): Promise<number> {
  const row = await q.count<Array<{ n: number | string }>>('* as n').first()
  return Number(row?.n ?? 0)
}

export function siteAdminRepository (db: Knex) {
  const isMysql = db.client.config.client === 'mysql2' || db.client.config.client === 'mysql'

  /** A table's rows with the given statuses, all and since `since` (served by its (status, time) index). */
  async function pair (table: string, timeColumn: string, statuses: string[] | null, since: number): Promise<CountPair> {
    const base = (): Knex.QueryBuilder => {
      const q = db(table)
      if (statuses !== null) void q.whereIn('status', statuses)
      return q
    }
    const [total, today] = await Promise.all([count(base()), count(base().where(timeColumn, '>=', since))])
    return { today, total }
  }

  return {
    dialect: isMysql ? 'MariaDB / MySQL' : 'SQLite',

    async contentCounts (since: number): Promise<Record<'members' | 'articles' | 'comments' | 'threads' | 'posts', CountPair>> {
      const [members, articles, comments, threads, posts] = await Promise.all([
        pair('users', 'created_at', null, since),
        pair('articles', 'published_at', ['published'], since),
        pair('comments', 'created_at', ['visible', 'pending'], since),
        pair('threads', 'created_at', ['visible', 'pending'], since),
        pair('posts', 'created_at', ['visible', 'pending'], since)
      ])
      return { members, articles, comments, threads, posts }
    },

    async pendingCounts (): Promise<{ comments: number, posts: number }> {
      const [comments, posts] = await Promise.all([
        count(db('comments').where('status', 'pending')),
        count(db('posts').where('status', 'pending'))
      ])
      return { comments, posts }
    },

    /** Bytes of data and indexes; null when the database will not say. Both reads are catalogue lookups. */
    async databaseBytes (): Promise<number | null> {
      try {
        if (isMysql) {
          const [rows] = await db.raw('SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = DATABASE()') as [Array<{ bytes: number | string | null }>]
          const bytes = rows[0]?.bytes
          return bytes === null || bytes === undefined ? null : Number(bytes)
        }
        const pages = await db.raw<Array<{ page_count: number }>>('PRAGMA page_count')
        const size = await db.raw<Array<{ page_size: number }>>('PRAGMA page_size')
        return (pages[0]?.page_count ?? 0) * (size[0]?.page_size ?? 0)
      } catch {
        return null
      }
    },

    /** The stored settings rows (in the saving transaction, for the audit's before). */
    async settingsRows (keys: readonly string[], trx: Knex.Transaction): Promise<Map<string, string>> {
      const rows = await trx('settings').whereIn('key', keys).select<Array<{ key: string, value: string }>>('key', 'value')
      return new Map(rows.map((r) => [r.key, r.value]))
    },

    async writeSetting (key: string, value: string, trx: Knex.Transaction): Promise<void> {
      await trx('settings').insert({ key, value }).onConflict('key').merge()
    },

    async upsertProcess (id: string, row: Omit<ProcessRow, 'id'>): Promise<void> {
      await db('app_processes').insert({ id, ...row }).onConflict('id').merge(row)
    },

    /** Rows of processes silent since `before` (crashed ones). */
    async forgetProcesses (before: number): Promise<void> {
      await db('app_processes').where('seen_at', '<', before).delete()
    },

    /** At most 100, oldest start first (the seen_at index). */
    async processesSeenSince (since: number): Promise<ProcessRow[]> {
      return await db<ProcessRow>('app_processes').where('seen_at', '>=', since).orderBy([{ column: 'started_at' }, { column: 'id' }]).limit(100)
    },

    async deleteProcess (id: string): Promise<void> {
      await db('app_processes').where({ id }).delete()
    }
  }
}

export type SiteAdminRepository = ReturnType<typeof siteAdminRepository>
