import type { Knex } from 'knex'

// The forum: boards (分区 groups, 版块 boards and sub-boards in one tree), threads and posts.
// Counters live on the rows that show them (board and thread lists never count posts) and are
// kept in the same transaction as each write; `npm run cli -- forum:reconcile` recomputes them.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  const utf8mb4 = (t: Knex.CreateTableBuilder): void => {
    if (!isMysql) return
    t.charset('utf8mb4')
    t.collate('utf8mb4_unicode_ci')
  }

  await knex.schema.createTable('boards', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    // null for a group (分区); a group's id for a board; a board's id for a sub-board.
    t.integer('parent_id').unsigned().nullable().references('id').inTable('boards')
    t.boolean('is_group').notNullable().defaultTo(false)
    t.string('name', 64).notNullable()
    t.string('description', 255).notNullable().defaultTo('')
    t.integer('display_order').notNullable().defaultTo(0)
    // false: members only; its threads are 404 for guests and left out of every guest list.
    t.boolean('guest_visible').notNullable().defaultTo(true)
    t.integer('thread_count').unsigned().notNullable().defaultTo(0)
    t.integer('post_count').unsigned().notNullable().defaultTo(0)
    // 今日: posts since the start of the site day `today_date` (Unix seconds); a stale date reads as 0.
    t.integer('today_posts').unsigned().notNullable().defaultTo(0)
    t.integer('today_date').unsigned().notNullable().defaultTo(0)
    t.integer('last_post_id').unsigned().nullable()
    t.integer('last_thread_id').unsigned().nullable()
    t.integer('last_post_at').unsigned().nullable()
    t.string('last_poster_name', 32).nullable()
    t.index(['parent_id', 'display_order'])
  })

  await knex.schema.createTable('threads', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.integer('board_id').unsigned().notNullable().references('id').inTable('boards')
    t.integer('author_id').unsigned().notNullable().references('id').inTable('users')
    t.string('title', 191).notNullable()
    t.boolean('pinned').notNullable().defaultTo(false)
    t.boolean('closed').notNullable().defaultTo(false)
    t.string('status', 16).notNullable().defaultTo('visible') // visible | pending | deleted
    t.integer('reply_count').unsigned().notNullable().defaultTo(0) // visible replies (楼主 not counted)
    // The last floor handed out: a reply takes `last_position + 1` with one UPDATE in its transaction,
    // so two simultaneous replies can never get the same floor (the unique key on posts is the backstop).
    t.integer('last_position').unsigned().notNullable().defaultTo(0)
    t.integer('views').unsigned().notNullable().defaultTo(0)
    t.integer('created_at').unsigned().notNullable()
    t.integer('last_post_at').unsigned().notNullable()
    t.integer('last_poster_id').unsigned().nullable()
    t.string('last_poster_name', 32).notNullable().defaultTo('')
    // The board list: pinned first, then last reply time; with the primary key appended (InnoDB and
    // SQLite do it implicitly) it covers the deferred-join page query.
    t.index(['board_id', 'status', 'pinned', 'last_post_at'])
    // A board's newest activity (its 最后发表 after a deletion or a move).
    t.index(['board_id', 'status', 'last_post_at'])
    // 最新主题 on the portal home.
    t.index(['status', 'created_at'])
    t.index(['author_id'])
  })

  await knex.schema.createTable('posts', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.integer('thread_id').unsigned().notNullable().references('id').inTable('threads')
    t.integer('author_id').unsigned().notNullable().references('id').inTable('users')
    t.integer('position').unsigned().notNullable() // 1 = 楼主, 2 = 2楼 …; kept when deleted
    t.text('body', 'mediumtext').notNullable() // Markdown source, rendered on display
    t.string('status', 16).notNullable().defaultTo('visible') // visible | pending | deleted
    t.integer('created_at').unsigned().notNullable()
    t.integer('edited_at').unsigned().nullable()
    // Page N of a thread is a range of this key: no OFFSET scans however long the thread.
    t.unique(['thread_id', 'position'])
    t.index(['author_id'])
    t.index(['status', 'created_at'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('posts')
  await knex.schema.dropTable('threads')
  await knex.schema.dropTable('boards')
}
