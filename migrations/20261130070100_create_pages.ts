import type { Knex } from 'knex'

// 单页: the site's static pages (/page/:slug — 关于我们, 帮助中心, 法律声明 …), written in Markdown by admins.
// `body` is the source; `body_html` the sanitized render made once on save (src/lib/markdown.ts), so a
// page view never parses Markdown. No app code here.

function utf8mb4 (knex: Knex, t: Knex.CreateTableBuilder): void {
  if (knex.client.config.client === 'mysql2' || knex.client.config.client === 'mysql') {
    t.charset('utf8mb4')
    t.collate('utf8mb4_unicode_ci')
  }
}

export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('pages', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    // ^[a-z0-9-]{1,32}$, checked by the app; unique here so two admins creating one slug cannot both win.
    t.string('slug', 32).notNullable().unique()
    t.string('title', 80).notNullable()
    t.text('body', 'mediumtext').notNullable()
    t.text('body_html', 'mediumtext').notNullable()
    t.integer('render_version').unsigned().notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('updated_at').unsigned().notNullable()
    t.integer('updated_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
  })
}

export async function down (knex: Knex): Promise<void> {
  // Drops the pages written by admins: export them first if they matter.
  await knex.schema.dropTable('pages')
}
