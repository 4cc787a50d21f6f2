import { migrationConfig } from '../../src/db/knex'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'

const CORE_TABLES = ['settings', 'users', 'sessions', 'login_attempts', 'categories', 'articles']

describe.each(dialects)('migrations on %s', (dialect) => {
  // Start unmigrated so that `latest` really runs every `up` from nothing.
  const ctx = useTestApp(dialect, { app: false, migrate: false })

  async function existingTables (): Promise<string[]> {
    const present: string[] = []
    for (const table of CORE_TABLES) if (await ctx.db.knex.schema.hasTable(table)) present.push(table)
    return present
  }

  it('runs latest, rolls every migration back, and runs latest again', async () => {
    expect(await existingTables()).toEqual([])
    const [, firstFiles] = await ctx.db.knex.migrate.latest(migrationConfig) as [number, string[]]
    expect(firstFiles.length).toBeGreaterThan(0)
    expect(await existingTables()).toEqual(CORE_TABLES)

    const [, rolledBack] = await ctx.db.knex.migrate.rollback(migrationConfig, true) as [number, string[]]
    expect(rolledBack.length).toBe(firstFiles.length)
    expect(await existingTables()).toEqual([])

    await ctx.db.knex.migrate.latest(migrationConfig)
    expect(await existingTables()).toEqual(CORE_TABLES)
    const [, pending] = await ctx.db.knex.migrate.list(migrationConfig) as [unknown[], unknown[]]
    expect(pending).toEqual([])
  })
})
