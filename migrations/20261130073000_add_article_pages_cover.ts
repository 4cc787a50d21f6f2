import type { Knex } from 'knex'

// Multi-page articles and list thumbnails (src/lib/article-render.ts). An article's stored render
// (`body_html`, `body_text_html`) now holds its pages, split at `<!-- 分页 -->` lines and joined by a
// separator sanitized HTML cannot contain; `page_count` is how many, `cover_url` the body's first
// picture (a path on this site: the list thumbnail and og:image), null without one. Both are derived
// from `body` by the stored-render step: rows from before this migration keep the defaults until
// their render (RENDERER_VERSION 3) is written again, on their next read or by `npm run cli --
// portal:render`. No index: both columns are only read with a row found by another index.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.alterTable('articles', (t) => {
    t.integer('page_count').unsigned().notNullable().defaultTo(1)
    // A path (`/uploads/ab/cd/<64 hex>-m.webp` is 84 characters); ASCII, but the table's utf8mb4 is explicit.
    const cover = t.string('cover_url', 500).nullable()
    if (isMysql) cover.collate('utf8mb4_unicode_ci')
  })
}

export async function down (knex: Knex): Promise<void> {
  // Loses only derived data; the pages stay in body_html with their separators, which the older
  // renderer's readers show as one page (an HTML comment between them is invisible).
  await knex.schema.alterTable('articles', (t) => {
    t.dropColumn('cover_url')
    t.dropColumn('page_count')
  })
}
