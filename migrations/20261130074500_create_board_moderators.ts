import type { Knex } from 'knex'

// Per-board moderators (版主 of a board, Discuz's forum moderators): a member granted a board moderates
// that board only (src/lib/permissions.ts, 'moderate-board'). A new table, so its foreign keys are
// safe on SQLite (no rebuild of an existing table). The unique (user_id, board_id) pair is both the
// "granted once" rule and the index the auth lookup reads a member's boards by on every request;
// (board_id, user_id) lists a board's moderators for the board page and the admin form.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('board_moderators', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.integer('board_id').unsigned().notNullable().references('id').inTable('boards').onDelete('CASCADE')
    t.integer('created_at').unsigned().notNullable()
    t.unique(['user_id', 'board_id'], { indexName: 'board_moderators_user_board' })
    t.index(['board_id', 'user_id'], 'board_moderators_board')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('board_moderators')
}
