import type { Knex } from 'knex'

// import:discuz's bookkeeping. `discuz_import_checkpoints`: per step (a source table), the last source
// key written and the running counts, updated in the same transaction as the batch it describes, so a
// killed import resumes exactly after the last committed batch. `discuz_import_issues`: every source
// row skipped or changed on the way in, with the reason (nothing is dropped silently). No app code.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('discuz_import_checkpoints', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.string('step', 32).primary()
    t.string('last_key', 64).notNullable().defaultTo('')
    t.integer('rows_read').unsigned().notNullable().defaultTo(0)
    t.integer('rows_imported').unsigned().notNullable().defaultTo(0)
    t.integer('rows_skipped').unsigned().notNullable().defaultTo(0)
    t.integer('finished_at').unsigned().nullable()
    t.integer('updated_at').unsigned().notNullable()
  })
  await knex.schema.createTable('discuz_import_issues', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.string('step', 32).notNullable()
    t.string('source_key', 64).notNullable()
    t.string('kind', 8).notNullable() // skipped | changed
    t.string('reason', 255).notNullable()
    t.index(['step', 'kind', 'id'])
  })
}

export async function down (knex: Knex): Promise<void> {
  // Drops only the import's bookkeeping: the imported rows stay.
  await knex.schema.dropTable('discuz_import_issues')
  await knex.schema.dropTable('discuz_import_checkpoints')
}
