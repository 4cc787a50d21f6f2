import type { Knex } from 'knex'
import type { AppConfig } from '../config'
import { migrationConfig } from './knex'

export interface FirstRunAdmin { username: string, password: string }

/**
 * Brings a database up to date at start: runs pending migrations and, on an empty database,
 * seeds the demo site. Returns the admin account created on the first run (null otherwise).
 */
export async function prepareDatabase (knex: Knex, config: AppConfig): Promise<FirstRunAdmin | null> {
  await knex.migrate.latest(migrationConfig)
  const seeded = await knex('users').first('id')
  if (seeded !== undefined) return null
  // The portal feature fills this in with the demo content (see src/features/portal/demo-seed.ts).
  void config
  return null
}
