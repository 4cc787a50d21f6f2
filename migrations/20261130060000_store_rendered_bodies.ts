import type { Knex } from 'knex'

// Bodies are rendered once, when they are written, not on every read: a page shows `body_html`, the
// Archiver `body_text_html`. `body` stays the source (edits, quotes, re-rendering). `render_version` is
// the renderer's version (RENDERER_VERSION in src/lib/markdown.ts) that wrote them: null (rows from
// before this migration) or older is rendered again once, on its next read or by
// `npm run cli -- markdown:render`. No app code here: the migration only adds the columns.

const TABLES = ['posts', 'articles'] as const

export async function up (knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      // mediumtext like `body` (sanitized HTML is longer than its source); utf8mb4 from the table.
      t.text('body_html', 'mediumtext').nullable()
      t.text('body_text_html', 'mediumtext').nullable()
      t.integer('render_version').unsigned().nullable()
    })
  }
}

export async function down (knex: Knex): Promise<void> {
  // Loses only derived data: the next version renders from `body` again.
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('render_version')
      t.dropColumn('body_text_html')
      t.dropColumn('body_html')
    })
  }
}
