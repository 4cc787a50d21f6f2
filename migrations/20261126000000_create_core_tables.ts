import type { Knex } from 'knex'

// Times are UTC Unix seconds (as Discuz stores `dateline`): identical on SQLite and MySQL,
// no time-zone conversion in the driver, shown in the site's zone by src/lib/dates.ts.
// Migrations never import app code: they must keep working as the app changes.

let isMysql = false

function utf8mb4 (table: Knex.CreateTableBuilder): void {
  // Explicit, or MariaDB picks utf8mb4_general_ci (or worse, latin1 from the server default). SQLite is always UTF-8.
  if (!isMysql) return
  table.charset('utf8mb4')
  table.collate('utf8mb4_unicode_ci')
}

export async function up (knex: Knex): Promise<void> {
  isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('settings', (t) => {
    utf8mb4(t)
    t.string('key', 64).primary()
    t.text('value').notNullable()
  })

  await knex.schema.createTable('users', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.string('username', 32).notNullable()
    // Lower-cased copies carry the unique keys: case-insensitive uniqueness on both dialects.
    t.string('username_key', 32).notNullable().unique()
    t.string('email', 191).notNullable()
    t.string('email_key', 191).notNullable().unique()
    t.string('password_hash', 100).notNullable()
    t.string('role', 16).notNullable().defaultTo('member')
    t.integer('created_at').unsigned().notNullable()
    t.integer('last_login_at').unsigned().nullable()
    // Flood control: one conditional UPDATE on this column lets exactly one of two simultaneous posts pass.
    t.integer('last_post_at').unsigned().notNullable().defaultTo(0)
    t.integer('post_count').unsigned().notNullable().defaultTo(0)
    // Ban state (filled in by moderation): null, 'post' (禁止发言) or 'visit' (禁止访问).
    t.string('ban_type', 8).nullable()
    t.integer('ban_until').unsigned().nullable() // null with a ban_type = permanent
    t.string('ban_reason', 255).nullable()
    t.index(['role'])
    t.index(['created_at'])
  })

  await knex.schema.createTable('sessions', (t) => {
    utf8mb4(t)
    t.string('id', 128).primary()
    t.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('CASCADE')
    t.text('data').notNullable()
    t.integer('expires_at').unsigned().notNullable()
    t.index(['user_id'])
    t.index(['expires_at'])
  })

  await knex.schema.createTable('login_attempts', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.string('account_key', 191).notNullable()
    t.string('ip_hash', 64).notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.index(['account_key', 'created_at'])
    t.index(['ip_hash', 'created_at'])
  })

  await knex.schema.createTable('categories', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.integer('parent_id').unsigned().nullable().references('id').inTable('categories')
    t.string('name', 64).notNullable()
    t.string('description', 255).notNullable().defaultTo('')
    t.integer('display_order').notNullable().defaultTo(0)
    t.boolean('allow_comments').notNullable().defaultTo(true)
    t.index(['parent_id', 'display_order'])
  })

  await knex.schema.createTable('articles', (t) => {
    utf8mb4(t)
    t.increments('id').primary()
    t.integer('category_id').unsigned().notNullable().references('id').inTable('categories')
    t.integer('author_id').unsigned().notNullable().references('id').inTable('users')
    t.string('title', 191).notNullable()
    t.text('summary').notNullable()
    t.string('source_name', 64).notNullable().defaultTo('')
    t.string('source_url', 255).notNullable().defaultTo('')
    t.text('body', 'mediumtext').notNullable()
    t.string('status', 16).notNullable().defaultTo('published')
    t.boolean('allow_comments').notNullable().defaultTo(true)
    t.integer('published_at').unsigned().notNullable()
    t.integer('updated_at').unsigned().notNullable()
    t.integer('views').unsigned().notNullable().defaultTo(0)
    t.integer('comment_count').unsigned().notNullable().defaultTo(0)
    // Reaction counters, one per stable reaction key (filled in by the reactions feature).
    t.integer('react_luguo').unsigned().notNullable().defaultTo(0)
    t.integer('react_leiren').unsigned().notNullable().defaultTo(0)
    t.integer('react_woshou').unsigned().notNullable().defaultTo(0)
    t.integer('react_xianhua').unsigned().notNullable().defaultTo(0)
    t.integer('react_jidan').unsigned().notNullable().defaultTo(0)
    t.index(['category_id', 'status', 'published_at'])
    t.index(['status', 'published_at'])
    t.index(['status', 'views'])
    t.index(['category_id', 'status', 'views']) // a category's 热文 list
    t.index(['author_id'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('articles')
  await knex.schema.dropTable('categories')
  await knex.schema.dropTable('login_attempts')
  await knex.schema.dropTable('sessions')
  await knex.schema.dropTable('users')
  await knex.schema.dropTable('settings')
}
