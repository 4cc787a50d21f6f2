import fs from 'node:fs'
import readline from 'node:readline'
import zlib from 'node:zlib'
import { once } from 'node:events'
import Database from 'better-sqlite3'
import type { Knex } from 'knex'
import { isMysql, migrationConfig } from './knex'

/**
 * `npm run cli -- backup <file>` / `restore <file>` (src/cli/backup.ts).
 *
 * SQLite: the backup is a copy of the database file made by SQLite's online backup API
 * (better-sqlite3 `backup()`): consistent while the app keeps writing. MySQL/MariaDB: one connection
 * reads every table inside one `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` and streams the
 * rows into gzip'd JSON lines: a header (format, the applied migrations), then per table a line with
 * its columns followed by one JSON array per row, then an end line with the row count (a cut-off file
 * is refused). Tables are written parents first (foreign keys).
 *
 * Restore reads either kind into the database DATABASE_URL names (so a SQLite backup can seed MySQL and
 * back): it migrates the target to the backup's schema version, empties our tables, inserts the rows
 * parents first in one transaction with the foreign keys checked at the end, then migrates to the
 * code's latest version. A database with members in it is refused unless `force`.
 */

export const BACKUP_FORMAT = 'luntan-backup'
const FORMAT_VERSION = 1
/**
 * Not restored: logins (everyone signs in again; a restored session would outlive a changed password)
 * and the live process list. The migration bookkeeping travels as the header's list instead.
 */
const NOT_COPIED = new Set(['sessions', 'app_processes', 'knex_migrations', 'knex_migrations_lock'])
/**
 * SQLite's full-text index for search (the FTS5 table `search_fts` and its shadow tables) is derived from
 * `search_documents` and kept by triggers: restoring those rows rebuilds it, and its shadow tables refuse
 * plain writes anyway.
 */
const DERIVED_INDEX = /^search_fts($|_)/
const isCopied = (table: string): boolean => !NOT_COPIED.has(table) && !DERIVED_INDEX.test(table)
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
/** Rows an insert carries: under SQLite's and MySQL's placeholder limits for our widest table. */
const VALUES_PER_INSERT = 8000

export interface ForeignKey { table: string, column: string, refTable: string, refColumn: string }

interface BackupHeader { format: string, version: number, dialect: 'sqlite' | 'mysql', createdAt: number, migrations: string[], tables: string[] }
type BackupEvent = { kind: 'table', table: string, columns: string[] } | { kind: 'row', values: unknown[] }

export interface BackupSummary { file: string, kind: 'sqlite' | 'jsonl.gz', tables: number, rows: number, migration: string | null }
export interface RestoreSummary { tables: number, rows: number, migration: string | null, migratedAfter: string[] }

export class BackupError extends Error {}

/** Tables in an order where every table comes after the tables its foreign keys point to (self-references aside). */
export function parentsFirst (tables: readonly string[], keys: readonly ForeignKey[]): string[] {
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]))
  for (const k of keys) {
    if (k.table !== k.refTable && parents.has(k.refTable)) parents.get(k.table)?.add(k.refTable)
  }
  const out: string[] = []
  const done = new Set<string>()
  const visiting = new Set<string>()
  const visit = (t: string): void => {
    if (done.has(t) || visiting.has(t)) return // a cycle between tables: the deferred check at the end still guards it
    visiting.add(t)
    for (const p of [...(parents.get(t) ?? [])].sort()) visit(p)
    visiting.delete(t)
    done.add(t)
    out.push(t)
  }
  for (const t of [...tables].sort()) visit(t)
  return out
}

async function tableNames (knex: Knex | Knex.Transaction): Promise<string[]> {
  if (isMysql(knex as Knex)) {
    const [rows] = await knex.raw("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'") as [Array<{ name: string }>]
    return rows.map((r) => r.name)
  }
  const rows = await knex.raw<Array<{ name: string }>>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
  return rows.map((r) => r.name)
}

async function foreignKeys (knex: Knex | Knex.Transaction, tables: readonly string[]): Promise<ForeignKey[]> {
  if (isMysql(knex as Knex)) {
    const [rows] = await knex.raw('SELECT table_name AS t, column_name AS c, referenced_table_name AS rt, referenced_column_name AS rc FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL') as [Array<{ t: string, c: string, rt: string, rc: string }>]
    return rows.map((r) => ({ table: r.t, column: r.c, refTable: r.rt, refColumn: r.rc }))
  }
  const out: ForeignKey[] = []
  for (const table of tables) {
    const rows = await knex.raw<Array<{ table: string, from: string, to: string }>>('PRAGMA foreign_key_list(??)', [table])
    for (const r of rows) out.push({ table, column: r.from, refTable: r.table, refColumn: r.to })
  }
  return out
}

// ---------------------------------------------------------------- backup

interface SqliteHandle { backup: (file: string) => Promise<unknown> }
interface MysqlHandle {
  query: (sql: string, values: unknown[] | ((err: Error | null, rows: unknown) => void), cb?: (err: Error | null, rows: unknown) => void) => { stream: () => NodeJS.ReadableStream }
}

async function withConnection<T> (knex: Knex, work: (conn: unknown) => Promise<T>): Promise<T> {
  const client = knex.client as { acquireConnection: () => Promise<unknown>, releaseConnection: (c: unknown) => Promise<unknown> }
  const conn = await client.acquireConnection()
  try {
    return await work(conn)
  } finally {
    await client.releaseConnection(conn)
  }
}

function mysqlQuery<T> (conn: MysqlHandle, sql: string, values: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    conn.query(sql, values, (err, rows) => { if (err !== null) reject(err); else resolve(rows as T) })
  })
}

/** Writes a backup of the database `knex` is on to `file` (written beside it first, renamed when complete). */
export async function backupDatabase (knex: Knex, file: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<BackupSummary> {
  const part = `${file}.part`
  try {
    const summary = isMysql(knex) ? await backupMysql(knex, part, nowSeconds) : await backupSqlite(knex, part)
    fs.renameSync(part, file)
    return { ...summary, file }
  } catch (err) {
    fs.rmSync(part, { force: true })
    throw err
  }
}

async function backupSqlite (knex: Knex, part: string): Promise<Omit<BackupSummary, 'file'>> {
  // The online backup API copies page by page and restarts if the app writes meanwhile: a consistent file.
  await withConnection(knex, async (conn) => { await (conn as SqliteHandle).backup(part) })
  // The copy inherits the live file's WAL mode: made a plain single file, so it travels alone (no -wal/-shm).
  const copy = new Database(part)
  try {
    copy.pragma('journal_mode = DELETE')
    const tables = (copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]).filter(isCopied)
    let rows = 0
    for (const t of tables) rows += Number(copy.prepare(`SELECT COUNT(*) FROM "${t.replace(/"/g, '""')}"`).pluck().get())
    const migration = copy.prepare('SELECT name FROM knex_migrations ORDER BY id DESC LIMIT 1').pluck().get() as string | undefined
    return { kind: 'sqlite', tables: tables.length, rows, migration: migration ?? null }
  } finally {
    copy.close()
  }
}

async function backupMysql (knex: Knex, part: string, nowSeconds: number): Promise<Omit<BackupSummary, 'file'>> {
  const all = await tableNames(knex)
  const tables = parentsFirst(all.filter(isCopied), await foreignKeys(knex, all))
  const gzip = zlib.createGzip()
  const out = fs.createWriteStream(part)
  gzip.pipe(out)
  const finished = once(out, 'finish')
  const write = async (value: unknown): Promise<void> => {
    if (!gzip.write(`${JSON.stringify(value)}\n`)) await once(gzip, 'drain')
  }
  let rows = 0
  let migration: string | null = null
  try {
    await exportSnapshot()
  } catch (err) {
    // The caller deletes the part file; its streams go now, not when collected.
    gzip.destroy()
    out.destroy()
    throw err
  }
  gzip.end()
  await finished
  return { kind: 'jsonl.gz', tables: tables.length, rows, migration }

  async function exportSnapshot (): Promise<void> {
    await withConnection(knex, async (raw) => {
      const conn = raw as MysqlHandle
      // Every read below sees the database as it was at this instant, whatever the app writes meanwhile.
      await mysqlQuery(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')
      await mysqlQuery(conn, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
      try {
        const migrations = (await mysqlQuery<Array<{ name: string }>>(conn, 'SELECT name FROM knex_migrations ORDER BY id')).map((r) => r.name)
        migration = migrations[migrations.length - 1] ?? null
        const header: BackupHeader = { format: BACKUP_FORMAT, version: FORMAT_VERSION, dialect: 'mysql', createdAt: nowSeconds, migrations, tables }
        await write(header)
        for (const table of tables) {
          const columns = (await mysqlQuery<Array<{ name: string }>>(conn, 'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position', [table])).map((r) => r.name)
          await write({ table, columns })
          // Streamed: a row at a time from the server, never the whole table in memory.
          for await (const row of conn.query('SELECT * FROM ??', [table]).stream() as AsyncIterable<Record<string, unknown>>) {
            await write(columns.map((c) => row[c] ?? null))
            rows++
          }
        }
        await write({ end: true, rows })
      } finally {
        await mysqlQuery(conn, 'ROLLBACK')
      }
    })
  }
}

// ---------------------------------------------------------------- restore

interface OpenedBackup { header: BackupHeader, events: () => AsyncGenerator<BackupEvent>, close: () => void }

function isSqliteFile (file: string): boolean {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length)
    fs.readSync(fd, head, 0, head.length, 0)
    return head.equals(SQLITE_MAGIC)
  } finally {
    fs.closeSync(fd)
  }
}

function openSqliteBackup (file: string): OpenedBackup {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  const quote = (t: string): string => `"${t.replace(/"/g, '""')}"`
  const all = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]
  const keys: ForeignKey[] = []
  for (const table of all) {
    for (const r of db.prepare(`PRAGMA foreign_key_list(${quote(table)})`).all() as Array<{ table: string, from: string, to: string }>) {
      keys.push({ table, column: r.from, refTable: r.table, refColumn: r.to })
    }
  }
  const tables = parentsFirst(all.filter(isCopied), keys)
  const migrations = all.includes('knex_migrations') ? db.prepare('SELECT name FROM knex_migrations ORDER BY id').pluck().all() as string[] : []
  return {
    header: { format: BACKUP_FORMAT, version: FORMAT_VERSION, dialect: 'sqlite', createdAt: 0, migrations, tables },
    events: async function * () {
      for (const table of tables) {
        const statement = db.prepare(`SELECT * FROM ${quote(table)}`).raw(true)
        yield { kind: 'table', table, columns: statement.columns().map((c) => c.name) }
        for (const values of statement.iterate() as IterableIterator<unknown[]>) yield { kind: 'row', values }
      }
    },
    close: () => { db.close() }
  }
}

async function openJsonBackup (file: string): Promise<OpenedBackup> {
  const input = fs.createReadStream(file)
  const lines = readline.createInterface({ input: input.pipe(zlib.createGunzip()), crlfDelay: Infinity })
  const iterator = lines[Symbol.asyncIterator]()
  const first = await iterator.next()
  const header = first.done === true ? null : JSON.parse(first.value) as Partial<BackupHeader>
  if (header?.format !== BACKUP_FORMAT || header.version !== FORMAT_VERSION || !Array.isArray(header.migrations) || !Array.isArray(header.tables)) {
    lines.close()
    throw new BackupError('not a luntan backup (unknown header)')
  }
  return {
    header: header as BackupHeader,
    events: async function * () {
      let rows = 0
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        const value = JSON.parse(next.value) as unknown
        if (Array.isArray(value)) {
          rows++
          yield { kind: 'row', values: value }
        } else if (typeof value === 'object' && value !== null && 'table' in value) {
          const t = value as { table: string, columns: string[] }
          yield { kind: 'table', table: t.table, columns: t.columns }
        } else if (typeof value === 'object' && value !== null && 'end' in value) {
          const said = Number((value as { rows?: unknown }).rows)
          if (said !== rows) throw new BackupError(`the backup says ${said} rows, it holds ${rows}`)
          return
        }
      }
      throw new BackupError('the backup file is cut off (no end line): nothing restored')
    },
    close: () => { lines.close(); input.destroy() }
  }
}

/** The rows of the target that make it "not empty": a site with members. */
async function hasMembers (knex: Knex): Promise<boolean> {
  if (!(await knex.schema.hasTable('users'))) return false
  const row = await knex('users').count<Array<{ n: number | string }>>({ n: '*' }).first()
  return Number(row?.n ?? 0) > 0
}

/** Restores `file` into the database `knex` is on. The app should be stopped (its caches would be stale). */
export async function restoreDatabase (knex: Knex, file: string, options: { force?: boolean } = {}): Promise<RestoreSummary> {
  if (!fs.existsSync(file)) throw new BackupError(`no such file: ${file}`)
  if (options.force !== true && await hasMembers(knex)) {
    throw new BackupError('the target database already has members: restore into an empty database, or add --force to replace everything in it')
  }
  const backup = isSqliteFile(file) ? openSqliteBackup(file) : await openJsonBackup(file)
  try {
    const wanted = backup.header.migrations
    await migrateTo(knex, wanted)
    const mysql = isMysql(knex)
    let rows = 0
    let tables = 0
    await knex.transaction(async (trx) => {
      // Foreign keys are checked once the rows are all in: a self-reference (a category moved under a
      // newer one) need not come parent first. SQLite defers the check to the commit; MySQL cannot defer,
      // so its checks are off for this session and every key is verified below before the commit.
      if (mysql) await trx.raw('SET FOREIGN_KEY_CHECKS = 0')
      else await trx.raw('PRAGMA defer_foreign_keys = ON')
      const present = new Set(await tableNames(trx))
      for (const t of [...backup.header.tables].reverse()) {
        if (!present.has(t)) throw new BackupError(`the backup has a table this schema lacks: ${t}`)
        await trx(t).delete()
      }
      let table = ''
      let columns: string[] = []
      let batch: Array<Record<string, unknown>> = []
      const flush = async (): Promise<void> => {
        if (batch.length > 0) await trx(table).insert(batch)
        batch = []
      }
      for await (const event of backup.events()) {
        if (event.kind === 'table') {
          await flush()
          table = event.table
          columns = event.columns
          if (!present.has(table)) throw new BackupError(`the backup has a table this schema lacks: ${table}`)
          tables++
          continue
        }
        batch.push(Object.fromEntries(columns.map((c, i) => [c, event.values[i] ?? null])))
        rows++
        if (batch.length * columns.length >= VALUES_PER_INSERT) await flush()
      }
      await flush()
      if (mysql) {
        await trx.raw('SET FOREIGN_KEY_CHECKS = 1')
        for (const k of await foreignKeys(trx, backup.header.tables)) {
          const [found] = await trx.raw('SELECT COUNT(*) AS n FROM ?? c LEFT JOIN ?? p ON c.?? = p.?? WHERE c.?? IS NOT NULL AND p.?? IS NULL', [k.table, k.refTable, k.column, k.refColumn, k.column, k.refColumn]) as [Array<{ n: number | string }>]
          if (Number(found[0]?.n ?? 0) > 0) throw new BackupError(`${k.table}.${k.column} points to missing ${k.refTable} rows: nothing restored`)
        }
      }
    })
    const [, migratedAfter] = await knex.migrate.latest(migrationConfig) as [number, string[]]
    return { tables, rows, migration: wanted[wanted.length - 1] ?? null, migratedAfter }
  } finally {
    backup.close()
  }
}

/** Brings the target's schema to exactly the backup's migrations (its tables then match the rows). */
async function migrateTo (knex: Knex, wanted: readonly string[]): Promise<void> {
  const [completed, pending] = await knex.migrate.list(migrationConfig) as [Array<{ name: string }>, Array<{ file: string }>]
  const done = completed.map((m) => m.name)
  const known = [...done, ...pending.map((p) => p.file)]
  const unknown = wanted.filter((m) => !known.includes(m))
  if (unknown.length > 0) throw new BackupError(`the backup was made by a newer luntan (migrations ${unknown.join(', ')} unknown here): restore with that version`)
  if (done.some((m) => !wanted.includes(m))) throw new BackupError('the target database has migrations the backup lacks: restore into an empty database (or one at the backup\'s version)')
  for (const name of wanted) {
    if (done.includes(name)) continue
    const next = pending.find((p) => !done.includes(p.file))?.file
    if (next !== name) throw new BackupError(`the backup's migrations are not a prefix of this version's (expected ${name}, next here ${next ?? 'none'})`)
    await knex.migrate.up({ ...migrationConfig, name })
    done.push(name)
  }
}
