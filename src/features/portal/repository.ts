import type { Knex } from 'knex'
import type { RenderedBody } from '../../lib/markdown'

/** Portal queries (categories and articles). Every list is served by an index of the core migration. */

export interface CategoryRow {
  id: number
  parent_id: number | null
  name: string
  description: string
  display_order: number
  allow_comments: number | boolean
}

export interface ArticleListRow {
  id: number
  category_id: number
  title: string
  summary: string
  published_at: number
  views: number
  comment_count: number
}

export interface ArticleRow extends ArticleListRow {
  author_id: number
  author_name: string
  source_name: string
  source_url: string
  body: string
  /** The body rendered when written (sanitized); null, or an older render_version, until rendered again. */
  body_html: string | null
  body_text_html: string | null
  render_version: number | null
  status: string
  allow_comments: number | boolean
  updated_at: number
  react_luguo: number
  react_leiren: number
  react_woshou: number
  react_xianhua: number
  react_jidan: number
}

export interface NeighbourRow { id: number, title: string }

const LIST_COLUMNS = ['id', 'category_id', 'title', 'summary', 'published_at', 'views', 'comment_count'] as const

/** An article body's two rendered forms and the renderer version that made them. */
export interface StoredArticleRender extends RenderedBody { version: number }

function renderColumns (r: StoredArticleRender): { body_html: string, body_text_html: string, render_version: number } {
  return { body_html: r.html, body_text_html: r.textHtml, render_version: r.version }
}

export function portalRepository (db: Knex) {
  return {
    /**
     * Writes back a body rendered because its stored copy was missing or older: only over an older
     * copy, so an edit that stored the current version meanwhile wins. (The article editor of the
     * next issue stores its render with the body, in the same UPDATE, through renderColumns' shape.)
     */
    async storeRender (id: number, rendered: StoredArticleRender): Promise<void> {
      await db('articles').where({ id }).andWhere((q) => { q.whereNull('render_version').orWhere('render_version', '<', rendered.version) })
        .update(renderColumns(rendered))
    },

    /** Up to `limit` articles whose stored render is missing or older than `version`, by id (for the CLI). */
    async staleRenders (version: number, afterId: number, limit: number): Promise<Array<{ id: number, body: string }>> {
      return await db('articles').where('id', '>', afterId).andWhere((q) => { q.whereNull('render_version').orWhere('render_version', '<', version) })
        .orderBy('id').limit(limit).select<Array<{ id: number, body: string }>>('id', 'body')
    },

    async allCategories (): Promise<CategoryRow[]> {
      return await db<CategoryRow>('categories').select('id', 'parent_id', 'name', 'description', 'display_order', 'allow_comments')
        .orderBy([{ column: 'display_order' }, { column: 'id' }])
    },

    /** A published article with its author's name; null when missing or not published. */
    async findPublishedArticle (id: number): Promise<ArticleRow | null> {
      const row = await db('articles as a')
        .join('users as u', 'u.id', 'a.author_id')
        .where('a.id', id)
        .andWhere('a.status', 'published')
        .first<ArticleRow | undefined>('a.*', 'u.username as author_name')
      return row ?? null
    },

    async newestPage (offset: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').where('status', 'published')
        .orderBy([{ column: 'published_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .offset(offset).limit(limit).select(...LIST_COLUMNS)
    },

    /** The most viewed articles published since `since` (Discuz ranks its hot list this way). */
    async hottestSince (since: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').where('status', 'published').andWhere('published_at', '>=', since)
        .orderBy([{ column: 'views', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).select(...LIST_COLUMNS)
    },

    async hottestInCategory (categoryId: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').where({ category_id: categoryId, status: 'published' })
        .orderBy([{ column: 'views', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).select(...LIST_COLUMNS)
    },

    async countInCategories (categoryIds: readonly number[]): Promise<number> {
      const row = await db('articles').whereIn('category_id', categoryIds).andWhere('status', 'published')
        .count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    async pageInCategories (categoryIds: readonly number[], offset: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').whereIn('category_id', categoryIds).andWhere('status', 'published')
        .orderBy([{ column: 'published_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .offset(offset).limit(limit).select(...LIST_COLUMNS)
    },

    async countPublished (): Promise<number> {
      const row = await db('articles').where('status', 'published').count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    /** Published articles by id (for the sitemap). */
    async publishedById (offset: number, limit: number): Promise<Array<{ id: number, updated_at: number }>> {
      return await db('articles').where('status', 'published').orderBy('id').offset(offset).limit(limit).select('id', 'updated_at')
    },

    /**
     * 上一篇 (older) and 下一篇 (newer) within the category: two index range scans with LIMIT 1 on
     * (category_id, status, published_at). (One statement with `id = (subquery) OR id = (subquery)`
     * was tried: SQLite turns it into two primary-key lookups, MySQL into a scan of the whole table.)
     */
    async neighbours (article: Pick<ArticleRow, 'id' | 'category_id' | 'published_at'>): Promise<{ previous: NeighbourRow | null, next: NeighbourRow | null }> {
      const side = async (older: boolean): Promise<NeighbourRow | null> => {
        const row = await db('articles').where({ category_id: article.category_id, status: 'published' })
          .andWhere((q) => {
            void q.where('published_at', older ? '<' : '>', article.published_at)
              .orWhere((q2) => { void q2.where('published_at', article.published_at).andWhere('id', older ? '<' : '>', article.id) })
          })
          .orderBy([{ column: 'published_at', order: older ? 'desc' : 'asc' }, { column: 'id', order: older ? 'desc' : 'asc' }])
          .first<NeighbourRow | undefined>('id', 'title')
        return row ?? null
      }
      const [previous, next] = await Promise.all([side(true), side(false)])
      return { previous, next }
    }
  }
}

export type PortalRepository = ReturnType<typeof portalRepository>
