import type { Knex } from 'knex'

// The title-only FULLTEXT index fed the first version's MariaDB/MySQL ranking (title match × 3). Search is
// ranked in the app now (src/lib/search-rank.ts), so nothing reads it: every write paid for it, and it took
// space. SQLite never had it.

export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'mysql2') return
  await knex.raw('ALTER TABLE search_documents DROP INDEX search_documents_title')
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'mysql2') return
  await knex.raw('ALTER TABLE search_documents ADD FULLTEXT INDEX search_documents_title (title_terms)')
}
