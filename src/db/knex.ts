import fs from 'node:fs'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import BetterSqlite3Client from 'knex/lib/dialects/better-sqlite3'
import type { DatabaseConfig } from '../config'

export const MIGRATIONS_DIR = path.join(__dirname, '..', '..', 'migrations')

export const migrationConfig: Knex.MigratorConfig = {
  directory: MIGRATIONS_DIR,
  loadExtensions: ['.ts'],
  tableName: 'knex_migrations'
}

/** Knex options for one database; shared by the app, knexfile.ts, the CLI and the tests. */
interface SqliteConnection {
  pragma: (sql: string) => unknown
  prepare: (sql: string) => unknown
}

/**
 * Knex prepares every SQLite statement anew; compiling the SQL costs more than running a typical
 * indexed query. The app issues the same few hundred statements over and over, so the connection
 * keeps them (bounded). Safe because better-sqlite3 runs each statement to completion synchronously
 * (`all`/`run`), and SQLite re-prepares a statement itself after a schema change.
 */
function cachePreparedStatements (conn: SqliteConnection, max = 1000): void {
  const prepare = conn.prepare.bind(conn)
  const statements = new Map<string, unknown>()
  conn.prepare = (sql: string) => {
    // Knex opens every transaction with a deferred BEGIN. Two processes on one file (WORKERS=2) then
    // both read, both try to upgrade to the write lock, and one fails at once with SQLITE_BUSY (waiting
    // could deadlock). BEGIN IMMEDIATE takes the write lock first, so busy_timeout makes the second wait.
    if (sql === 'BEGIN;') sql = 'BEGIN IMMEDIATE;'
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = prepare(sql)
      if (statements.size >= max) statements.clear()
      statements.set(sql, statement)
    }
    return statement
  }
}

interface ReaderStatement { raw: (on: boolean) => unknown, all: (params: unknown[]) => unknown[] }

/**
 * Knex's better-sqlite3 client with mysql2's `rowsAsArray` query option, so that
 * `.options({ rowsAsArray: true })` returns each row as an array of its columns on either database.
 * better-sqlite3 builds a row object one property at a time: for the 501 candidates a search ranks, that
 * took 1.85 ms through Knex against 1.55 ms as arrays (the bench's large set). Only a reading
 * statement may ask for it. The statement is shared (cachePreparedStatements), so it is put back to
 * objects at once; `all` runs to completion synchronously, so no other query can see it in between.
 */
class SqliteClient extends BetterSqlite3Client {
  override async _query (connection: unknown, obj: Parameters<BetterSqlite3Client['_query']>[1]): ReturnType<BetterSqlite3Client['_query']> {
    if (obj.options?.rowsAsArray !== true) return await super._query(connection, obj)
    const statement = (connection as { prepare: (sql: string) => ReaderStatement }).prepare(obj.sql)
    statement.raw(true)
    try {
      obj.response = statement.all(this._formatBindings(obj.bindings))
    } finally {
      statement.raw(false)
    }
    return obj
  }
}

/**
 * How long a SQLite statement waits for another process's write lock before SQLITE_BUSY. Every write
 * transaction begins IMMEDIATE (above) and holds the lock for milliseconds, so a wait this long means
 * something is wrong; better-sqlite3 waits synchronously, so it is also the longest the event loop stalls.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

/**
 * How long the app waits on MySQL before it answers 503 instead (src/plugins/errors.ts): connecting,
 * waiting for a pooled connection, one query. Without them a hung server (a network partition, a frozen
 * process: test/faults/database-stopped.test.ts stops mariadbd with SIGSTOP) held each request until the
 * kernel's TCP timeouts, minutes. Migrations and the CLI run without them (a long ALTER is legitimate).
 */
export interface DatabaseTimeouts {
  readonly connectMs: number
  readonly acquireMs: number
  readonly queryMs: number
}

interface Mysql2Connection {
  query: (options: unknown, values: unknown, callback?: (err: (Error & { code?: string }) | null, ...rest: unknown[]) => void) => unknown
  destroy: () => void
}

/**
 * Gives every query on this connection mysql2's own timeout, and closes the connection when one fires:
 * mysql2 answers the caller but leaves the timed-out command queued, so the next query on the connection
 * would wait behind it. Closed, it fails Knex's validation and the pool makes a new one (and the server
 * rolls back whatever transaction the connection held, so a refused write is never half-stored).
 */
function boundQueries (conn: Mysql2Connection, queryMs: number, onTimeout: () => void): void {
  const query = conn.query.bind(conn)
  conn.query = (options, values, callback) => {
    // Without a callback the caller streams the rows (an export): no bound on how long that may take.
    if (typeof values !== 'function' && callback === undefined) return query(options, values)
    const withTimeout = typeof options === 'object' && options !== null ? { timeout: queryMs, ...options } : { sql: options, timeout: queryMs }
    const cb = typeof values === 'function' ? values as typeof callback : callback
    const vals = typeof values === 'function' ? undefined : values
    return query(withTimeout, vals, (err, ...rest) => {
      if (err?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        conn.destroy()
        onTimeout()
      }
      cb?.(err, ...rest)
    })
  }
}

const RECENTLY_UNAVAILABLE = 'LUNTAN_DATABASE_RECENTLY_UNAVAILABLE'

/**
 * After the database failed to answer in time (a query or connection timed out, a connection was
 * refused), further queries fail at once, as unavailable, for one timeout's length; then they try again.
 * Without it each query of a page waited its own timeout: a page that reads settings, then the session,
 * then its rows, answered a hung database's 503 after three timeouts, not one (the outage test measured
 * 2.0–2.2 s with two). A lost single connection (ECONNRESET) does not trip it: the next one may be fine.
 */
class RecentOutage {
  private until = 0
  constructor (private readonly forMs: number) {}
  trip (): void { this.until = Date.now() + this.forMs }
  check (): void {
    if (Date.now() < this.until) {
      throw Object.assign(new Error('The database did not answer a moment ago: not waiting for it again yet'), { code: RECENTLY_UNAVAILABLE })
    }
  }
}

const OUTAGE_CODES = new Set(['ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'PROTOCOL_SEQUENCE_TIMEOUT'])

function isOutage (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, name } = err as { code?: unknown, name?: unknown }
  return name === 'KnexTimeoutError' || (typeof code === 'string' && OUTAGE_CODES.has(code))
}

interface AcquiringClient { acquireConnection: () => Promise<unknown> }

/** Fails acquires at once while `outage` holds, and trips it when an acquire times out or is refused. */
function failFastDuringOutage (knex: Knex, outage: RecentOutage): void {
  const client = knex.client as unknown as AcquiringClient
  const acquire = client.acquireConnection.bind(client)
  client.acquireConnection = async () => {
    outage.check()
    try {
      return await acquire()
    } catch (err) {
      if (isOutage(err)) outage.trip()
      throw err
    }
  }
}

export function knexOptions (database: DatabaseConfig, poolMax = 10, timeouts?: DatabaseTimeouts, outage?: RecentOutage): Knex.Config {
  if (database.client === 'sqlite') {
    return {
      client: SqliteClient,
      connection: { filename: database.filename },
      useNullAsDefault: true,
      migrations: migrationConfig,
      pool: {
        // better-sqlite3 is synchronous: one connection serialises writers, WAL lets readers go on.
        min: 1,
        max: 1,
        afterCreate (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
          cachePreparedStatements(conn)
          // The wait first: switching to WAL (and reading the schema) takes a lock that another process
          // opening the same file may hold for a moment.
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
          conn.pragma('journal_mode = WAL')
          conn.pragma('foreign_keys = ON')
          conn.pragma('synchronous = NORMAL')
          done(null, conn)
        }
      }
    }
  }
  const url = new URL(database.url)
  return {
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: url.port === '' ? 3306 : Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1)),
      // utf8mb4 end to end: a 4-byte emoji in a title must survive a round trip.
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      ...(timeouts === undefined ? {} : { connectTimeout: timeouts.connectMs })
    },
    migrations: migrationConfig,
    ...(timeouts === undefined ? {} : { acquireConnectionTimeout: timeouts.acquireMs }),
    pool: {
      min: 0,
      max: poolMax,
      ...(timeouts === undefined
        ? {}
        : {
            afterCreate (conn: Mysql2Connection, done: (err: Error | null, conn: unknown) => void) {
              boundQueries(conn, timeouts.queryMs, () => { outage?.trip() })
              done(null, conn)
            }
          })
    }
  }
}

export function createKnex (database: DatabaseConfig, poolMax?: number, log?: Knex.Logger, timeouts?: DatabaseTimeouts): Knex {
  if (database.client === 'sqlite' && database.filename !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(database.filename)), { recursive: true })
  }
  if (timeouts === undefined || database.client !== 'mysql') return knexFactory({ ...knexOptions(database, poolMax), ...(log === undefined ? {} : { log }) })
  const outage = new RecentOutage(timeouts.queryMs)
  const knex = knexFactory({ ...knexOptions(database, poolMax, timeouts, outage), ...(log === undefined ? {} : { log }) })
  failFastDuringOutage(knex, outage)
  return knex
}

export function isMysql (db: Knex): boolean {
  return db.client.config.client === 'mysql2'
}

/** Maps a unique-key violation of either dialect to true, so services can turn it into a 409 page. */
export function isUniqueViolation (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** InnoDB chose this transaction as a deadlock victim (or gave up waiting): safe to run it again. */
export function isRetryableConflict (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || isSqliteBusy(code)
}

/**
 * SQLITE_BUSY and its extended codes, as better-sqlite3 names them: SQLITE_BUSY_SNAPSHOT (a deferred
 * read transaction that tried to write after another process committed: failed at once, no busy wait),
 * SQLITE_BUSY_RECOVERY (another connection rebuilding the WAL index after a crash), SQLITE_BUSY_TIMEOUT.
 * Matching only the plain code let those reach users as 500s.
 */
function isSqliteBusy (code: unknown): boolean {
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'))
}

/** Runs `work` in a transaction, again (up to `attempts` times, after a short random pause) if the database reports a deadlock. */
export async function transactionWithRetry<T> (db: Knex, work: (trx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work)
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) throw err
      // A short random pause, growing with each attempt, so the two transactions that deadlocked do not
      // meet again in the same order at once (the CI load run saw a third collision without it).
      await new Promise((resolve) => setTimeout(resolve, attempt * (5 + Math.random() * 20)))
    }
  }
}

/** Error codes meaning the database cannot be reached or cannot take the query now (not a bug in the query). */
const UNAVAILABLE_CODES = new Set([
  // The network or the server (mysql2 passes the socket's code through).
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
  // SQLite: still locked after busy_timeout (and transactionWithRetry's attempts); the file unopenable;
  // its disk full (the write is rolled back; test/process-faults/database-disk-full.test.ts).
  'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_FULL',
  // Ours: the database timed out or refused a moment ago (RecentOutage), so this query did not wait for it.
  RECENTLY_UNAVAILABLE
])

/**
 * Whether an error says the database is unavailable (answered 503 with Retry-After, src/plugins/errors.ts)
 * rather than that a query is wrong: a refused or lost connection, the pool's acquire timeout
 * (KnexTimeoutError), a destroyed pool, SQLite still busy. Looks through `cause` too.
 */
export function isDatabaseUnavailable (err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown, name?: unknown, message?: unknown }
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || isSqliteBusy(code))) return true
    if (name === 'KnexTimeoutError') return true
    // Knex after destroy() (pool gone), and mysql2 on a connection the server closed.
    if (typeof message === 'string' && /^Unable to acquire a connection$|connection is in closed state/.test(message)) return true
  }
  return false
}
