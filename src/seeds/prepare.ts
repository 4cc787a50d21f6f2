import type { Knex } from 'knex'
import type { AppConfig } from '../config'
import { migrationConfig } from '../db/knex'
import { seedDemo, type FirstRunAdmin } from './demo'

/**
 * Brings a database up to date at start: runs pending migrations and, on an empty database,
 * seeds the demo site. Returns the admin account created on the first run (null otherwise).
 */
export async function prepareDatabase (knex: Knex, config: AppConfig): Promise<FirstRunAdmin | null> {
  await knex.migrate.latest(migrationConfig)
  return await seedDemo(knex, config)
}
