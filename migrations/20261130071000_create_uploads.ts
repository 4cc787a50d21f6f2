import type { Knex } from 'knex'

// Stored pictures (src/features/uploads): one row per distinct picture, named by the sha256 of its
// re-encoded bytes (`hash`, unique: the same picture uploaded twice is one row and one file). The files
// themselves are in the upload storage (local disk or a bucket), not here. `purpose` says what the
// picture was uploaded for (article / avatar / logo). (user_id, id) lists a member's uploads newest
// first; the hash index is the unique key the service looks pictures up by.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('uploads', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.integer('user_id').unsigned().nullable().references('id').inTable('users')
    t.string('purpose', 16).notNullable() // article | avatar | logo
    t.specificType('hash', 'char(64)').notNullable().unique('uploads_hash')
    t.string('mime', 32).notNullable()
    t.integer('width').unsigned().notNullable()
    t.integer('height').unsigned().notNullable()
    t.integer('bytes').unsigned().notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.index(['user_id', 'id'], 'uploads_user')
  })
}

export async function down (knex: Knex): Promise<void> {
  // The rows only: files already stored stay in the upload storage.
  await knex.schema.dropTable('uploads')
}
