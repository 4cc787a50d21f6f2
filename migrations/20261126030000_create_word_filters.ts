import type { Knex } from 'knex'

// Anti-abuse data shared by comments and the forum:
// - word_filters: the 屏蔽词 list admins manage (block / moderate / replace), matched after normalization;
// - users.contribution_count: how many contributions (comments, threads, replies) a member has made,
//   counted in the same UPDATE as the flood check; the new-member link rule reads it.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('word_filters', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.string('word', 100).notNullable()
    // The normalized word (NFKC, lower case, no separators): one rule per normalized word.
    t.string('word_key', 100).notNullable().unique()
    t.string('action', 16).notNullable() // block | moderate | replace
    t.string('replacement', 100).notNullable().defaultTo('**')
    t.integer('created_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
    t.integer('created_at').unsigned().notNullable()
    t.integer('updated_at').unsigned().notNullable()
  })
  await knex.schema.alterTable('users', (t) => {
    t.integer('contribution_count').unsigned().notNullable().defaultTo(0)
  })
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client === 'mysql2') {
    await knex.schema.alterTable('users', (t) => { t.dropColumn('contribution_count') })
  } else {
    // Knex drops a SQLite column by copying the table, which would cascade-delete every session;
    // SQLite (3.35+, bundled with better-sqlite3) drops it in place.
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['users', 'contribution_count'])
  }
  await knex.schema.dropTable('word_filters')
}
