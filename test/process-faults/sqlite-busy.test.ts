import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { createKnex, isDatabaseUnavailable, isRetryableConflict, transactionWithRetry } from '../../src/db/knex'

/**
 * The two halves of the SQLITE_BUSY fix (docs/reliability.md), against real SQLite files: a transaction
 * holds the write lock from its BEGIN (IMMEDIATE), even before its first write, so another process waits
 * rather than failing on a stale snapshot; and the extended code a stale snapshot gives
 * (SQLITE_BUSY_SNAPSHOT, failed at once, no busy wait) is retried and, if it persists, answered 503.
 * A second better-sqlite3 connection stands for the other process.
 */
describe('SQLite busy: transactions begin IMMEDIATE, extended BUSY codes retried', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-busy-'))
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  it('a transaction that has only read already holds the write lock: another writer cannot begin', async () => {
    const file = path.join(dir, 'immediate.sqlite3')
    const knex = createKnex({ client: 'sqlite', filename: file })
    const other = new Database(file)
    try {
      await knex.schema.createTable('t', (table) => { table.integer('x') })
      other.pragma('busy_timeout = 0')
      await knex.transaction(async (trx) => {
        await trx('t').select('x')
        let code: unknown
        try { other.exec('BEGIN IMMEDIATE') } catch (err) { code = (err as { code?: unknown }).code }
        expect(code).toBe('SQLITE_BUSY')
      })
      // Released at commit.
      other.exec('BEGIN IMMEDIATE')
      other.exec('ROLLBACK')
    } finally {
      other.close()
      await knex.destroy()
    }
  })

  it('SQLITE_BUSY_SNAPSHOT (a deferred reader that then writes after another commit) is a retryable conflict and a 503', async () => {
    const file = path.join(dir, 'snapshot.sqlite3')
    const a = new Database(file)
    const b = new Database(file)
    let snapshotError: unknown
    try {
      a.pragma('journal_mode = WAL')
      a.exec('CREATE TABLE t (x INTEGER)')
      a.exec('BEGIN')
      a.prepare('SELECT * FROM t').all()
      b.exec('INSERT INTO t VALUES (1)')
      try { a.exec('INSERT INTO t VALUES (2)') } catch (err) { snapshotError = err }
      a.exec('ROLLBACK')
    } finally {
      a.close()
      b.close()
    }
    expect((snapshotError as { code?: unknown }).code).toBe('SQLITE_BUSY_SNAPSHOT')
    expect(isRetryableConflict(snapshotError)).toBe(true)
    expect(isDatabaseUnavailable(snapshotError)).toBe(true)

    // transactionWithRetry runs the work again after it.
    const knex = createKnex({ client: 'sqlite', filename: path.join(dir, 'retry.sqlite3') })
    try {
      let attempts = 0
      const result = await transactionWithRetry(knex, async () => {
        attempts++
        if (attempts === 1) throw snapshotError
        return 'done'
      })
      expect({ result, attempts }).toEqual({ result: 'done', attempts: 2 })
    } finally {
      await knex.destroy()
    }
  })
})
