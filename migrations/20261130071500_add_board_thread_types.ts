import type { Knex } from 'knex'

// 主题分类 (Discuz's threadtypes): a board may offer labels such as 求助 / 分享 that a new thread picks
// one of and lists show as [求助] before the title. `boards.thread_types` holds the board's labels as a
// JSON array of strings (a few short words, edited as a whole from /admin/boards; '' or NULL: none);
// `threads.type_label` the label a thread was opened with ('' for none), copied rather than referenced
// so renaming or removing a label later never rewrites or orphans old threads. No app code here.
// Both columns are read only with the row they belong to: no index needed. Added columns take the
// tables' utf8mb4_unicode_ci (set by the create migrations) on MariaDB.

export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('boards', (t) => {
    t.text('thread_types').nullable()
  })
  await knex.schema.alterTable('threads', (t) => {
    t.string('type_label', 16).notNullable().defaultTo('')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('threads', (t) => { t.dropColumn('type_label') })
  await knex.schema.alterTable('boards', (t) => { t.dropColumn('thread_types') })
}
