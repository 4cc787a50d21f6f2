import type { Knex } from 'knex'

// 快速评论: comments under portal articles. The source text is stored, never rendered HTML.
// Soft deletion (status 'deleted') keeps the row for moderation history.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('comments', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.integer('article_id').unsigned().notNullable().references('id').inTable('articles').onDelete('CASCADE')
    t.integer('author_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL') // null: a guest
    t.string('guest_name', 32).notNullable().defaultTo('')
    // Salted hash of the poster's IP (src/lib/visitor.ts ipHash); the raw address only when the site keeps it.
    t.string('ip_hash', 64).notNullable().defaultTo('')
    t.string('ip', 45).nullable()
    t.string('status', 16).notNullable() // visible | pending | deleted
    t.text('body').notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('edited_at').unsigned().nullable()
    t.integer('edited_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
    t.index(['article_id', 'status', 'created_at'])
    t.index(['author_id', 'created_at'])
    t.index(['status', 'created_at']) // the review queue
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('comments')
}
