import { migrationConfig } from '../../src/db/knex'
import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'

const CORE_TABLES = ['settings', 'users', 'sessions', 'login_attempts', 'categories', 'articles']

describe.each(dialects)('migrations on %s', (dialect) => {
  let db: TestDatabase
  // Start unmigrated so that `latest` really runs every `up` from nothing.
  beforeAll(async () => { db = await createTestDatabase(dialect, { migrate: false }) })
  afterAll(async () => { await db?.destroy() })

  async function existingTables (): Promise<string[]> {
    const present: string[] = []
    for (const table of CORE_TABLES) if (await db.knex.schema.hasTable(table)) present.push(table)
    return present
  }

  it('runs latest, rolls every migration back, and runs latest again', async () => {
    expect(await existingTables()).toEqual([])
    const [, firstFiles] = await db.knex.migrate.latest(migrationConfig) as [number, string[]]
    expect(firstFiles.length).toBeGreaterThan(0)
    expect(await existingTables()).toEqual(CORE_TABLES)

    const [, rolledBack] = await db.knex.migrate.rollback(migrationConfig, true) as [number, string[]]
    expect(rolledBack.length).toBe(firstFiles.length)
    expect(await existingTables()).toEqual([])

    await db.knex.migrate.latest(migrationConfig)
    expect(await existingTables()).toEqual(CORE_TABLES)
    const [, pending] = await db.knex.migrate.list(migrationConfig) as [unknown[], unknown[]]
    expect(pending).toEqual([])
  })
})
