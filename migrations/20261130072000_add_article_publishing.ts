import type { Knex } from 'knex'

// 发布文章 (issue 17): who may publish where, the article's edit version, and its revisions.
// - category_editors: an editor's per-category rights (Discuz's 频道权限), one row per (user, category);
//   the unique pair means two grants at once cannot make two rows. (category_id) serves "who edits
//   this category" and the user_id prefix of the unique key "which categories does this editor have".
// - articles.version: bumped by every save with `UPDATE … WHERE id = ? AND version = ?`, so two saves
//   opened at the same version cannot both win (the loser is told 此文章已被他人修改).
// - articles.original_author: 原作者 (the writer of a reposted piece), shown beside 来自; edited_by:
//   who wrote the current version.
// - article_revisions: the version each save replaced (who wrote it, when), for diffs and restores.
// - (status, id), (category_id, id): 文章管理 lists newest first by id with keyset paging, filtered by
//   status or category; (author_id) already exists and, as a secondary index, ends with the id.
// No app code here.

function utf8mb4 (knex: Knex, t: Knex.CreateTableBuilder): void {
  if (knex.client.config.client === 'mysql2') {
    t.charset('utf8mb4')
    t.collate('utf8mb4_unicode_ci')
  }
}

export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('category_editors', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.integer('category_id').unsigned().notNullable().references('id').inTable('categories').onDelete('CASCADE')
    t.integer('created_at').unsigned().notNullable()
    t.unique(['user_id', 'category_id'], { indexName: 'category_editors_pair' })
    t.index(['category_id'], 'category_editors_category')
  })

  await knex.schema.alterTable('articles', (t) => {
    t.integer('version').unsigned().notNullable().defaultTo(1)
    t.string('original_author', 64).notNullable().defaultTo('')
    // Who wrote the current version (the revision a later save keeps names them); null for seeded rows.
    // On SQLite no foreign key here: Knex adds one to an existing table by rebuilding it (create a copy,
    // drop the original), and dropping `articles` inside the migration's transaction (where
    // `PRAGMA foreign_keys = OFF` is ignored) cascades to every comment and reaction of the site.
    const editedBy = t.integer('edited_by').unsigned().nullable()
    if (knex.client.config.client === 'mysql2') editedBy.references('id').inTable('users').onDelete('SET NULL')
    t.index(['status', 'id'], 'articles_status_id')
    t.index(['category_id', 'id'], 'articles_category_id')
  })

  await knex.schema.createTable('article_revisions', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    t.integer('article_id').unsigned().notNullable().references('id').inTable('articles').onDelete('CASCADE')
    t.integer('version').unsigned().notNullable()
    t.string('title', 191).notNullable()
    t.text('summary').notNullable()
    t.text('body', 'mediumtext').notNullable()
    t.integer('editor_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
    t.integer('created_at').unsigned().notNullable()
    // One row per replaced version: unique, so a retried save cannot store a version twice.
    t.unique(['article_id', 'version'], { indexName: 'article_revisions_version' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('article_revisions')
  await knex.schema.alterTable('articles', (t) => {
    t.dropIndex(['category_id', 'id'], 'articles_category_id')
    t.dropIndex(['status', 'id'], 'articles_status_id')
    if (knex.client.config.client === 'mysql2') t.dropForeign(['edited_by'])
    t.dropColumn('edited_by')
    t.dropColumn('original_author')
    t.dropColumn('version')
  })
  await knex.schema.dropTable('category_editors')
}
