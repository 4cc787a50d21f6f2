import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Knex } from 'knex'
import { createKnex, migrationConfig } from '../../src/db/knex'
import type { DatabaseConfig } from '../../src/config'

export type Dialect = 'sqlite' | 'mysql'

const mysqlUrl = process.env.TEST_MYSQL_URL ?? ''

/**
 * SQLite always; MySQL/MariaDB too when TEST_MYSQL_URL is set (CI sets it and fails if it is unreachable).
 * TEST_DIALECTS=mysql (or sqlite) keeps one of them for a long run by hand (the fuzz suite's FUZZ_RUNS
 * on each database in its own process, docs/reliability.md); CI never sets it.
 */
const allDialects: Dialect[] = mysqlUrl === '' ? ['sqlite'] : ['sqlite', 'mysql']
const chosen = (process.env.TEST_DIALECTS ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '')
export const dialects: Dialect[] = chosen.length === 0 ? allDialects : allDialects.filter((d) => chosen.includes(d))
if (chosen.length > 0 && dialects.length === 0) throw new Error(`TEST_DIALECTS=${chosen.join(',')} names no database this run has (TEST_MYSQL_URL ${mysqlUrl === '' ? 'unset' : 'set'})`)

// Without TEST_MYSQL_URL, test/helpers/global-setup.ts says so once per run.

export interface TestDatabase {
  dialect: Dialect
  config: DatabaseConfig
  knex: Knex
  /** Another, independent connection pool to the same database (a second app instance). */
  connect: () => Knex
  destroy: () => Promise<void>
}

/** A fresh database for one test file: created, migrated, and dropped afterwards. */
export async function createTestDatabase (dialect: Dialect, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `luntan_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  let config: DatabaseConfig
  let dropDatabase: () => Promise<void>
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `${name}.sqlite3`)
    config = { client: 'sqlite', filename: file }
    dropDatabase = async () => {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true })
    }
  } else {
    const base = new URL(mysqlUrl)
    const admin = createKnex({ client: 'mysql', url: withDatabase(base, 'mysql') }, 1)
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    await admin.destroy()
    config = { client: 'mysql', url: withDatabase(base, name) }
    dropDatabase = async () => {
      const a = createKnex({ client: 'mysql', url: withDatabase(base, 'mysql') }, 1)
      await a.raw(`DROP DATABASE IF EXISTS \`${name}\``)
      await a.destroy()
    }
  }
  const knex = createKnex(config)
  if (options.migrate !== false) await knex.migrate.latest(migrationConfig)
  const extra: Knex[] = []
  return {
    dialect,
    config,
    knex,
    connect: () => {
      const k = createKnex(config)
      extra.push(k)
      return k
    },
    destroy: async () => {
      for (const k of extra) await k.destroy()
      await knex.destroy()
      await dropDatabase()
    }
  }
}

function withDatabase (base: URL, database: string): string {
  const u = new URL(base.toString())
  u.pathname = '/' + database
  return u.toString()
}

/** How many rows a table holds (those matching `where`, when given): MySQL answers counts as strings, SQLite as numbers. */
export async function countRows (knex: Knex, table: string, where: Record<string, string | number | null> = {}): Promise<number> {
  const row = await knex(table).where(where).count<Array<{ n: number | string }>>({ n: '*' }).first()
  return Number(row?.n ?? 0)
}
