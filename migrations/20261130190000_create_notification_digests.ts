import type { Knex } from 'knex'

// Issue 20, the last piece of 提醒: the hourly e-mail digest.
//
// - notifications.emailed_at: when the notice went out in a digest (NULL: not yet). Each notice is mailed
//   once; a grouped row that gains actors afterwards is cleared again so the new count is mailed.
//   Plain column, no foreign key (SQLite would rebuild the table).
// - notifications (user_id, read_at, emailed_at): a member's notices still waiting for a digest.
// - notification_digests: one row a member, `last_sent_at` of their last digest. The sender claims a
//   member with a conditional UPDATE (last_sent_at ≤ now − 1 h) in the transaction that queues the mail,
//   so two processes never send one member two digests within the hour.
// - notification_prefs (channel, user_id): the members who chose e-mail for some kind, in user id order.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.alterTable('notifications', (t) => {
    t.integer('emailed_at').unsigned().nullable()
  })
  await knex.schema.alterTable('notifications', (t) => {
    t.index(['user_id', 'read_at', 'emailed_at'], 'notifications_user_digest')
  })
  await knex.schema.alterTable('notification_prefs', (t) => {
    t.index(['channel', 'user_id'], 'notification_prefs_channel')
  })
  await knex.schema.createTable('notification_digests', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.integer('user_id').unsigned().notNullable().primary().references('id').inTable('users').onDelete('CASCADE')
    t.integer('last_sent_at').unsigned().notNullable().defaultTo(0)
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_digests')
  await knex.schema.alterTable('notification_prefs', (t) => {
    t.dropIndex(['channel', 'user_id'], 'notification_prefs_channel')
  })
  await knex.schema.alterTable('notifications', (t) => {
    t.dropIndex(['user_id', 'read_at', 'emailed_at'], 'notifications_user_digest')
  })
  await knex.schema.alterTable('notifications', (t) => {
    t.dropColumn('emailed_at')
  })
}
