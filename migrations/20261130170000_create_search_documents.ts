import type { Knex } from 'knex'

// 搜索 (issue 23): one row per searchable article, thread (its title and 楼主 post) and reply, kept by the
// search feature in the same transaction as the content. Only readable content has a row (pending,
// hidden and deleted content has none); `listed` = 0 marks replies of a thread that is not visible.
// - title_terms/body_terms: the text as ASCII tokens (src/lib/search-text.ts, copied nowhere: no app
//   code here), indexed by the database's own full-text engine:
//   MariaDB/MySQL: InnoDB FULLTEXT (title_terms, body_terms) for the match and (title_terms) for the title
//   boost; the tokens are ≥ 5 characters, so the default innodb_ft_min_token_size (3) keeps them all.
//   SQLite: an FTS5 table over the two columns (external content: the text is stored once, here), kept in
//   step by triggers, so every insert/update/delete of a row changes the index in the same transaction.
// - (kind, ref_id) unique: one row per item, an upsert cannot make two.
// - (kind, parent_id): a thread's replies, changed together when the thread is hidden, moved or renamed.
// - (kind, scope_id): a board's rows, changed together when the board opens to guests or closes.
// - (author_id, created_at): 作者 filter without the text index.

export async function up (knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('search_documents', (t) => {
    if (mysql) {
      t.charset('utf8mb4')
      t.collate('utf8mb4_unicode_ci')
      t.engine('InnoDB')
    }
    t.increments('id').primary()
    t.string('kind', 8).notNullable() // article | thread | post
    t.integer('ref_id').unsigned().notNullable()
    t.integer('parent_id').unsigned().nullable()
    t.integer('scope_id').unsigned().notNullable() // category (article) or board (thread, post)
    t.string('audience', 8).notNullable().defaultTo('all') // all | members
    t.boolean('listed').notNullable().defaultTo(true)
    t.integer('author_id').unsigned().notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.string('title', 191).notNullable()
    t.text('body', 'mediumtext').notNullable() // plain text for snippets
    t.text('title_terms').notNullable()
    t.text('body_terms', 'mediumtext').notNullable()
    t.unique(['kind', 'ref_id'], { indexName: 'search_documents_item' })
    t.index(['kind', 'parent_id'], 'search_documents_parent')
    t.index(['kind', 'scope_id'], 'search_documents_scope')
    t.index(['author_id', 'created_at'], 'search_documents_author')
  })
  if (mysql) {
    await knex.raw('ALTER TABLE search_documents ADD FULLTEXT INDEX search_documents_text (title_terms, body_terms)')
    await knex.raw('ALTER TABLE search_documents ADD FULLTEXT INDEX search_documents_title (title_terms)')
    return
  }
  await knex.raw("CREATE VIRTUAL TABLE search_fts USING fts5(title_terms, body_terms, content='search_documents', content_rowid='id', tokenize='unicode61')")
  await knex.raw(`CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_fts(rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms);
  END`)
  await knex.raw(`CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms);
  END`)
  // Only when the text changes: moving a board's rows or unlisting a thread's replies leaves the index alone.
  await knex.raw(`CREATE TRIGGER search_documents_au AFTER UPDATE OF title_terms, body_terms ON search_documents BEGIN
    INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms);
    INSERT INTO search_fts(rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms);
  END`)
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'mysql2') {
    await knex.raw('DROP TRIGGER IF EXISTS search_documents_au')
    await knex.raw('DROP TRIGGER IF EXISTS search_documents_ad')
    await knex.raw('DROP TRIGGER IF EXISTS search_documents_ai')
    await knex.raw('DROP TABLE IF EXISTS search_fts')
  }
  await knex.schema.dropTable('search_documents')
}
