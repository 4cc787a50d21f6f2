import type { Knex } from 'knex'

// The moderation audit trail: one append-only row per moderation action. The app has no
// update or delete path for it (see src/features/moderation/audit.ts).

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('moderation_log', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.bigIncrements('id').primary()
    t.integer('actor_id').unsigned().notNullable().references('id').inTable('users')
    t.string('action', 32).notNullable()
    t.integer('target_user_id').unsigned().nullable().references('id').inTable('users')
    t.string('target_type', 16).notNullable() // user | comment | article | thread | post
    t.integer('target_id').unsigned().notNullable()
    t.string('reason', 255).notNullable().defaultTo('')
    t.text('before_state').nullable() // JSON
    t.text('after_state').nullable() // JSON
    t.integer('created_at').unsigned().notNullable()
    t.string('request_id', 32).notNullable().defaultTo('')
    t.index(['actor_id', 'id'])
    t.index(['target_user_id', 'id'])
    t.index(['action', 'id'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('moderation_log')
}
