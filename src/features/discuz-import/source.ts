import knexFactory, { type Knex } from 'knex'

/**
 * The Discuz database, read over its own connection that is READ ONLY for the whole session: the
 * importer cannot change the old site even by mistake. `table('forum_post')` adds the prefix
 * (`pre_`); UCenter's tables have their own (`pre_ucenter_` when installed into the same database).
 */
export interface DiscuzSource {
  db: Knex
  table: (name: string) => string
  ucTable: (name: string) => string
  close: () => Promise<void>
}

export const DISCUZ_PREFIX = /^[A-Za-z0-9_]{0,32}$/

export function openDiscuzSource (url: string, prefix: string, ucPrefix: string): DiscuzSource {
  if (!DISCUZ_PREFIX.test(prefix) || !DISCUZ_PREFIX.test(ucPrefix)) throw new Error('a table prefix may hold only letters, digits and _')
  const parsed = new URL(url)
  if (parsed.protocol !== 'mysql:') throw new Error('--from must be a mysql://user:pass@host:3306/database URL')
  const db = knexFactory({
    client: 'mysql2',
    connection: {
      host: parsed.hostname,
      port: parsed.port === '' ? 3306 : Number(parsed.port),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: decodeURIComponent(parsed.pathname.slice(1)),
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false
    },
    pool: {
      min: 0,
      max: 2,
      afterCreate (conn: { query: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, conn: unknown) => void) {
        conn.query('SET SESSION TRANSACTION READ ONLY', (err) => { done(err, conn) })
      }
    }
  })
  return {
    db,
    table: (name) => `${prefix}${name}`,
    ucTable: (name) => `${ucPrefix}${name}`,
    close: async () => { await db.destroy() }
  }
}
