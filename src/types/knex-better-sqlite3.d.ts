// Knex's better-sqlite3 dialect class (knex ships no types for its dialect modules): the app's SQLite
// client extends it (src/db/knex.ts, SqliteClient). Only the members that subclass touches are declared.
declare module 'knex/lib/dialects/better-sqlite3' {
  import type { Knex } from 'knex'
  interface QueryObject { sql: string, bindings?: unknown[], options?: Record<string, unknown>, response?: unknown }
  class Client_BetterSQLite3 extends Knex.Client {
    _query (connection: unknown, obj: QueryObject): Promise<QueryObject>
    _formatBindings (bindings: unknown[] | undefined): unknown[]
  }
  export = Client_BetterSQLite3
}
