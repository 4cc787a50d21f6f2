import type { Knex } from 'knex'

// Issue 20 (second half): 提醒 notifications, 屏蔽用户, 头像 and 签名.
//
// - notifications: one row per notice to `user_id`, newest first by (user_id, updated_at, id) (the
//   /notifications keyset). A grouped kind (reactions on an article) keeps one unread row per target:
//   `group_key` is set while the row is unread and cleared when it is read, and (user_id, group_key) is
//   unique, so two events at once cannot open two groups (NULLs never collide on either dialect).
// - notification_actors: who is counted in a grouped row (a member who reacts, takes it back and reacts
//   again is one person, not two).
// - notification_prefs: a member's choice per kind (site / email / off); no row means 'site'.
// - member_blocks: who blocked whom; (blocked_id) answers "who blocked this member" for mentions.
// - member_avatars: the three stored sizes of a member's avatar (upload storage keys), one row a member.
// - users.unread_notifications: the header's counter, moved in the transaction of each notice (no count
//   query per page); users.signature: 签名, plain text (≤ 200 characters), shown under forum floors.
//   Plain columns: no foreign key added to an existing table (SQLite would rebuild it).

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  const utf8 = (t: Knex.CreateTableBuilder): void => { if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') } }

  await knex.schema.createTable('notifications', (t) => {
    utf8(t)
    t.increments('id').primary()
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('kind', 24).notNullable()
    t.integer('actor_id').unsigned().nullable()
    t.string('actor_name', 64).notNullable().defaultTo('')
    t.integer('actor_count').unsigned().notNullable().defaultTo(1)
    t.string('target_type', 16).notNullable()
    t.integer('target_id').unsigned().notNullable()
    t.string('title', 255).notNullable().defaultTo('')
    t.string('url', 255).notNullable()
    t.string('group_key', 64).nullable()
    t.integer('read_at').unsigned().nullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('updated_at').unsigned().notNullable()
    t.index(['user_id', 'updated_at', 'id'], 'notifications_user_newest')
    t.unique(['user_id', 'group_key'], { indexName: 'notifications_open_group' })
  })

  await knex.schema.createTable('notification_actors', (t) => {
    utf8(t)
    t.integer('notification_id').unsigned().notNullable().references('id').inTable('notifications').onDelete('CASCADE')
    t.integer('actor_id').unsigned().notNullable()
    t.primary(['notification_id', 'actor_id'])
  })

  await knex.schema.createTable('notification_prefs', (t) => {
    utf8(t)
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('kind', 24).notNullable()
    t.string('channel', 8).notNullable() // site | email | off
    t.primary(['user_id', 'kind'])
  })

  await knex.schema.createTable('member_blocks', (t) => {
    utf8(t)
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.integer('blocked_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.integer('created_at').unsigned().notNullable()
    t.primary(['user_id', 'blocked_id'])
    t.index(['blocked_id'], 'member_blocks_blocked')
  })

  await knex.schema.createTable('member_avatars', (t) => {
    utf8(t)
    t.integer('user_id').unsigned().notNullable().primary().references('id').inTable('users').onDelete('CASCADE')
    t.string('small_key', 128).notNullable()
    t.string('middle_key', 128).notNullable()
    t.string('big_key', 128).notNullable()
    t.integer('updated_at').unsigned().notNullable()
  })

  await knex.schema.alterTable('users', (t) => {
    t.integer('unread_notifications').unsigned().notNullable().defaultTo(0)
    t.string('signature', 200).notNullable().defaultTo('')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('unread_notifications')
    t.dropColumn('signature')
  })
  await knex.schema.dropTable('member_avatars')
  await knex.schema.dropTable('member_blocks')
  await knex.schema.dropTable('notification_prefs')
  await knex.schema.dropTable('notification_actors')
  await knex.schema.dropTable('notifications')
}
