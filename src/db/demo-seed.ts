import type { Knex } from 'knex'
import type { AppConfig } from '../config'

export interface FirstRunAdmin { username: string, password: string }

/**
 * Seeds the demo site into an empty database (no members yet): settings, a two-level category
 * tree, about ten original Chinese articles with images from static/img/demo/, a few members and
 * an admin with a random password. Returns that admin, or null if the database was not empty.
 */
export async function seedDemo (knex: Knex, config: AppConfig): Promise<FirstRunAdmin | null> {
  const existing = await knex('users').first('id')
  if (existing !== undefined) return null
  void config
  return null // TODO(seed-cli): demo content
}
