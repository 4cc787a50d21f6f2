import type { Knex } from 'knex'

// 评论 pages by position (issue #19): `list_position` is a visible comment's place in its article's list
// (1 = the oldest visible one, in (created_at, id) order); null for pending and deleted comments. Page N
// of the newest-first list is a range of positions on the (article_id, list_position) index, so a deep
// page reads 25 index entries instead of skipping N × 25 rows with OFFSET. The comments service keeps the
// numbers dense under the article's row lock whenever a comment becomes visible or stops being visible.
// A plain indexed column (no foreign key), so SQLite adds it without rebuilding the table.

export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('comments', (t) => {
    t.integer('list_position').unsigned().nullable()
    t.index(['article_id', 'list_position'], 'comments_article_id_list_position_index')
  })
  // The backfill: one statement per dialect (both number rows with a window function; MariaDB ≥ 10.2, SQLite ≥ 3.33).
  if (knex.client.config.client === 'mysql2') {
    await knex.raw(`UPDATE comments c JOIN (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY created_at, id) AS n FROM comments WHERE status = 'visible'
    ) r ON r.id = c.id SET c.list_position = r.n`)
  } else {
    await knex.raw(`UPDATE comments SET list_position = r.n FROM (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY created_at, id) AS n FROM comments WHERE status = 'visible'
    ) AS r WHERE r.id = comments.id`)
  }
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('comments', (t) => {
    t.dropIndex(['article_id', 'list_position'], 'comments_article_id_list_position_index')
    t.dropColumn('list_position')
  })
}
