import type { Knex } from 'knex'

// 表态 kinds can be switched off by admins (/admin/reactions): a disabled kind leaves the widget and
// cannot be posted, its rows and counters (articles.react_<key>) stay. The audit log (操作记录
// /admin/log) is filtered by date range: created_at gets its own index for that. No app code here.

export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('reaction_kinds', (t) => {
    t.boolean('enabled').notNullable().defaultTo(true)
  })
  await knex.schema.alterTable('moderation_log', (t) => {
    t.index(['created_at', 'id'], 'moderation_log_created_at_id_index')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('moderation_log', (t) => {
    t.dropIndex(['created_at', 'id'], 'moderation_log_created_at_id_index')
  })
  // Forgets which kinds were disabled: every kind shows again.
  await knex.schema.alterTable('reaction_kinds', (t) => {
    t.dropColumn('enabled')
  })
}
