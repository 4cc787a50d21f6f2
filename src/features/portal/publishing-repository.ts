import type { Knex } from 'knex'
import type { ArticleRow } from './repository'

/**
 * The queries of 发布文章 and 文章管理: articles in any status (the readers' queries in repository.ts
 * see published ones only), editor grants and revisions. Every method takes the handle it runs on, so a
 * service passes its transaction.
 */

export interface EditableArticleRow extends ArticleRow {
  version: number
  original_author: string
  edited_by: number | null
}

export interface RevisionRow {
  id: number
  article_id: number
  version: number
  title: string
  summary: string
  body: string
  editor_id: number | null
  editor_name: string | null
  created_at: number
}

export interface ManageRow {
  id: number
  title: string
  category_id: number
  author_id: number
  author_name: string
  status: string
  published_at: number
  updated_at: number
  comment_count: number
  views: number
}

export interface ManageFilter {
  /** Scope: null for every article (admins); otherwise articles in these categories or by this author. */
  scope: { categoryIds: readonly number[], authorId: number } | null
  categoryId?: number
  status?: string
  authorName?: string
  titleLike?: string
  /** Keyset: ids below this one (newest first). */
  beforeId?: number
  limit: number
}

/** `%` and `_` typed in a search are literal characters, not wildcards. */
function likeEscaped (s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c)
}

export function publishingRepository (db: Knex) {
  return {
    async grantsOf (userId: number, q: Knex = db): Promise<Set<number>> {
      const rows = await q('category_editors').where({ user_id: userId }).select<Array<{ category_id: number }>>('category_id')
      return new Set(rows.map((r) => Number(r.category_id)))
    },

    /** Adds a grant; false when it was already there (the unique pair refuses a second row). */
    async grant (userId: number, categoryId: number, now: number): Promise<boolean> {
      const exists = await db('category_editors').where({ user_id: userId, category_id: categoryId }).first('id')
      if (exists !== undefined) return false
      try {
        await db('category_editors').insert({ user_id: userId, category_id: categoryId, created_at: now })
        return true
      } catch (err) {
        // A grant made meanwhile by another process: the same outcome.
        if (/UNIQUE|Duplicate/i.test(String(err))) return false
        throw err
      }
    },

    async revoke (userId: number, categoryId: number): Promise<boolean> {
      return await db('category_editors').where({ user_id: userId, category_id: categoryId }).delete() > 0
    },

    /** An article in any status, with its author's name; `forUpdate` locks it (MySQL) inside a transaction. */
    async findAny (id: number, q: Knex = db, forUpdate = false): Promise<EditableArticleRow | null> {
      const query = q('articles as a').join('users as u', 'u.id', 'a.author_id').where('a.id', id)
      if (forUpdate && q.client.config.client === 'mysql2') void query.forUpdate()
      const row = await query.first<EditableArticleRow | undefined>('a.*', 'u.username as author_name')
      return row ?? null
    },

    async insertArticle (trx: Knex.Transaction, row: Record<string, unknown>): Promise<number> {
      const [id] = await trx('articles').insert(row)
      return Number(id)
    },

    /**
     * The save: changes the row only if it is still at `version`, and moves it to version + 1 in the
     * same statement. Two saves opened at one version cannot both pass: the second finds version + 1.
     */
    async updateIfVersion (trx: Knex.Transaction, id: number, version: number, fields: Record<string, unknown>): Promise<boolean> {
      const changed = await trx('articles').where({ id, version }).update({ ...fields, version: version + 1 })
      return changed === 1
    },

    async insertRevision (trx: Knex.Transaction, row: { article_id: number, version: number, title: string, summary: string, body: string, editor_id: number | null, created_at: number }): Promise<void> {
      await trx('article_revisions').insert(row)
    },

    async revisions (articleId: number): Promise<RevisionRow[]> {
      return await db('article_revisions as r').leftJoin('users as u', 'u.id', 'r.editor_id').where('r.article_id', articleId)
        .orderBy('r.version', 'desc').limit(200)
        .select<RevisionRow[]>('r.id', 'r.article_id', 'r.version', 'r.title', 'r.summary', 'r.body', 'r.editor_id', 'u.username as editor_name', 'r.created_at')
    },

    async revision (articleId: number, version: number): Promise<RevisionRow | null> {
      const row = await db('article_revisions as r').leftJoin('users as u', 'u.id', 'r.editor_id').where({ 'r.article_id': articleId, 'r.version': version })
        .first<RevisionRow | undefined>('r.id', 'r.article_id', 'r.version', 'r.title', 'r.summary', 'r.body', 'r.editor_id', 'u.username as editor_name', 'r.created_at')
      return row ?? null
    },

    async userName (id: number | null): Promise<string | null> {
      if (id === null) return null
      const row = await db('users').where({ id }).first<{ username: string } | undefined>('username')
      return row?.username ?? null
    },

    /** 文章管理: newest first by id, one page past `beforeId` (keyset: no OFFSET however deep). */
    async manageList (f: ManageFilter): Promise<ManageRow[]> {
      const q = db('articles as a').join('users as u', 'u.id', 'a.author_id')
      if (f.scope !== null) {
        const scope = f.scope
        void q.where((w) => {
          if (scope.categoryIds.length > 0) void w.whereIn('a.category_id', scope.categoryIds)
          void w.orWhere('a.author_id', scope.authorId)
        })
      }
      if (f.categoryId !== undefined) void q.andWhere('a.category_id', f.categoryId)
      if (f.status !== undefined) void q.andWhere('a.status', f.status)
      if (f.authorName !== undefined) void q.andWhere('u.username_key', f.authorName.toLowerCase())
      if (f.titleLike !== undefined) void q.andWhere('a.title', 'like', `%${likeEscaped(f.titleLike)}%`)
      if (f.beforeId !== undefined) void q.andWhere('a.id', '<', f.beforeId)
      return await q.orderBy('a.id', 'desc').limit(f.limit)
        .select<ManageRow[]>('a.id', 'a.title', 'a.category_id', 'a.author_id', 'u.username as author_name', 'a.status', 'a.published_at', 'a.updated_at', 'a.comment_count', 'a.views')
    },

    /** The rows a bulk action changes, locked (MySQL) in the caller's transaction, in id order (one lock order for every bulk action). */
    async lockMany (trx: Knex.Transaction, ids: readonly number[]): Promise<Array<{ id: number, category_id: number, author_id: number, status: string, version: number, published_at: number }>> {
      const q = trx('articles').whereIn('id', ids).orderBy('id')
      if (trx.client.config.client === 'mysql2') void q.forUpdate()
      return await q.select('id', 'category_id', 'author_id', 'status', 'version', 'published_at')
    },

    async setFields (trx: Knex.Transaction, id: number, fields: Record<string, unknown>): Promise<void> {
      await trx('articles').where({ id }).update({ ...fields, version: trx.raw('version + 1') })
    }
  }
}

export type PublishingRepository = ReturnType<typeof publishingRepository>
