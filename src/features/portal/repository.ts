import type { Knex } from 'knex'
import type { ArticleRenderColumns } from '../../lib/article-render'

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
  /** The body's first picture (a path on this site), recorded by the stored render; null without one. */
  cover_url: string | null
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
  /** Pages of the stored render (`<!-- 分页 -->`); 1 until a current render is stored. */
  page_count: number
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

/**
 * The 表态 counters an article carries (articles.react_<key>). The reactions feature keeps its rows;
 * the counters are article columns, so the portal owns their names and every change to them.
 */
export const ARTICLE_REACTION_KEYS = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan'] as const
export type ArticleReactionKey = typeof ARTICLE_REACTION_KEYS[number]
export type ReactionCounters = Record<ArticleReactionKey, number>

/** The counter column of a kind: only ever built from a key of the list above, never from input text. */
function reactionColumn (key: ArticleReactionKey): `react_${ArticleReactionKey}` {
  return `react_${key}`
}
const REACTION_COLUMNS = ARTICLE_REACTION_KEYS.map(reactionColumn)

function countersOf (row: Record<string, unknown>): ReactionCounters {
  return Object.fromEntries(ARTICLE_REACTION_KEYS.map((k) => [k, Number(row[reactionColumn(k)] ?? 0)])) as ReactionCounters
}

const LIST_COLUMNS = ['id', 'category_id', 'title', 'summary', 'published_at', 'views', 'comment_count', 'cover_url'] as const

/** An article's stored render: its pages in both forms, page count, cover and renderer version (src/lib/article-render.ts). */
export type StoredArticleRender = ArticleRenderColumns

/** An item of a feed: a list row and the name of its author. */
export interface FeedRow extends ArticleListRow { author_name: string }

/**
 * What readers may see: published, and published at or before now. A future published_at schedules
 * the article: it appears by itself when its time comes (no job), and every list, the article page,
 * the Archiver, the sitemap and profiles filter here, on the (status, published_at) index prefixes.
 */
function visibleNow (q: Knex.QueryBuilder, now: number, prefix = ''): Knex.QueryBuilder {
  return q.where(`${prefix}status`, 'published').andWhere(`${prefix}published_at`, '<=', now)
}

/** `nowSec` is the app clock in Unix seconds (tests move it to see a scheduled article appear). */
export function portalRepository (db: Knex, nowSec: () => number = () => Math.floor(Date.now() / 1000)) {
  const visible = (q: Knex.QueryBuilder, prefix = ''): Knex.QueryBuilder => visibleNow(q, nowSec(), prefix)
  return {
    /**
     * Writes back a body rendered because its stored copy was missing or older: only over an older
     * copy, so an edit that stored the current version meanwhile wins. (The article editor of the
     * next issue stores its render with the body, in the same UPDATE, through renderColumns' shape.)
     */
    async storeRender (id: number, rendered: StoredArticleRender): Promise<void> {
      await db('articles').where({ id }).andWhere((q) => { q.whereNull('render_version').orWhere('render_version', '<', rendered.render_version) })
        .update(rendered)
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
        .andWhere((q) => { void visible(q, 'a.') })
        .first<ArticleRow | undefined>('a.*', 'u.username as author_name')
      return row ?? null
    },

    async newestPage (offset: number, limit: number): Promise<ArticleListRow[]> {
      return await visible(db('articles'))
        .orderBy([{ column: 'published_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .offset(offset).limit(limit).select(...LIST_COLUMNS)
    },

    // 热门: walked down the views indexes ((status, views), (category_id, status, views)) until ten visible
    // ones are found. Visibility is visibleNow's rule written out, with `+published_at`, which keeps the
    // date out of the index choice: given it, SQLite took the (status, published_at) index and sorted every
    // visible article of the category or of the 90 days (40-60 ms at 100,000 articles, on the event loop
    // at every page render; 0.2 ms this way). MariaDB chose the views index either way; the unary plus is
    // plain SQL to both.

    /** The most viewed articles published since `since` (Discuz ranks its hot list this way). */
    async hottestSince (since: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').where('status', 'published').whereRaw('+published_at <= ? AND +published_at >= ?', [nowSec(), since])
        .orderBy([{ column: 'views', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).select(...LIST_COLUMNS)
    },

    async hottestInCategory (categoryId: number, limit: number): Promise<ArticleListRow[]> {
      return await db('articles').where({ category_id: categoryId, status: 'published' }).whereRaw('+published_at <= ?', [nowSec()])
        .orderBy([{ column: 'views', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit).select(...LIST_COLUMNS)
    },

    async countInCategories (categoryIds: readonly number[]): Promise<number> {
      const row = await visible(db('articles').whereIn('category_id', categoryIds))
        .count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    async pageInCategories (categoryIds: readonly number[], offset: number, limit: number): Promise<ArticleListRow[]> {
      return await visible(db('articles').whereIn('category_id', categoryIds))
        .orderBy([{ column: 'published_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .offset(offset).limit(limit).select(...LIST_COLUMNS)
    },

    /**
     * The newest published articles up to `now` (a scheduled one is not there before its time), in the
     * given categories or all: the (status, published_at) or (category_id, status, published_at) index,
     * newest first, LIMIT — a feed reads one short range.
     */
    async newestForFeed (categoryIds: readonly number[] | null, now: number, limit: number): Promise<FeedRow[]> {
      const q = db('articles as a').join('users as u', 'u.id', 'a.author_id')
        .where('a.status', 'published').andWhere('a.published_at', '<=', now)
      if (categoryIds !== null) void q.whereIn('a.category_id', categoryIds)
      return await q.orderBy([{ column: 'a.published_at', order: 'desc' }, { column: 'a.id', order: 'desc' }])
        .limit(limit).select(...LIST_COLUMNS.map((c) => `a.${c}`), 'u.username as author_name')
    },

    async countPublished (): Promise<number> {
      const row = await visible(db('articles')).count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    /** Published articles by id (for the sitemap). */
    async publishedById (offset: number, limit: number): Promise<Array<{ id: number, updated_at: number }>> {
      return await visible(db('articles')).orderBy('id').offset(offset).limit(limit).select('id', 'updated_at')
    },

    /** A member's latest published articles (for the profile page). */
    async latestByAuthor (authorId: number, limit: number): Promise<Array<{ id: number, title: string, published_at: number }>> {
      return await visible(db('articles').where({ author_id: authorId }))
        .orderBy('published_at', 'desc').limit(limit).select('id', 'title', 'published_at')
    },

    async countByAuthor (authorId: number): Promise<number> {
      const row = await visible(db('articles').where({ author_id: authorId })).count<Array<{ n: number | string }>>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    /** Titles of the given articles, published or not (review queues name the article a comment is on). */
    /** An article's author and title, read in the caller's transaction (提醒 of its comments and reactions). */
    async authorAndTitle (trx: Knex.Transaction, id: number): Promise<{ authorId: number, title: string } | null> {
      const row = await trx('articles').where({ id }).first<{ author_id: number, title: string } | undefined>('author_id', 'title')
      return row === undefined ? null : { authorId: Number(row.author_id), title: row.title }
    },

    async titles (ids: readonly number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map()
      const rows = await db('articles').whereIn('id', [...new Set(ids)]).select<Array<{ id: number, title: string }>>('id', 'title')
      return new Map(rows.map((r) => [Number(r.id), r.title]))
    },

    /** Which of the given articles are published, with their titles. */
    async publishedTitles (ids: readonly number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map()
      const rows = await visible(db('articles').whereIn('id', [...new Set(ids)])).select<Array<{ id: number, title: string }>>('id', 'title')
      return new Map(rows.map((r) => [Number(r.id), r.title]))
    },

    /** The stored visible-comment counter of one article (0 when it is missing). */
    async commentCount (id: number): Promise<number> {
      const row = await db('articles').where('id', id).first<{ comment_count: number } | undefined>('comment_count')
      return Number(row?.comment_count ?? 0)
    },

    /** A batch of articles after `afterId` (id order) with their comment counters (for comments:reconcile). */
    async commentCountsAfter (afterId: number, limit: number): Promise<Array<{ id: number, comment_count: number }>> {
      const rows = await db('articles').where('id', '>', afterId).orderBy('id').limit(limit).select<Array<{ id: number, comment_count: number }>>('id', 'comment_count')
      return rows.map((r) => ({ id: Number(r.id), comment_count: Number(r.comment_count) }))
    },

    async setCommentCount (id: number, count: number): Promise<void> {
      await db('articles').where('id', id).update({ comment_count: count })
    },

    /** One article's reaction counters as they are now; null when it is missing. */
    async reactionCounts (id: number): Promise<ReactionCounters | null> {
      const row = await db('articles').where({ id }).first<Record<string, unknown> | undefined>(...REACTION_COLUMNS)
      return row === undefined ? null : countersOf(row)
    },

    /** A batch of articles after `afterId` (id order) with their reaction counters (for reactions:reconcile). */
    async reactionCountsAfter (afterId: number, limit: number): Promise<Array<{ id: number, counters: ReactionCounters }>> {
      const rows = await db('articles').where('id', '>', afterId).orderBy('id').limit(limit).select<Array<Record<string, unknown>>>('id', ...REACTION_COLUMNS)
      return rows.map((r) => ({ id: Number(r.id), counters: countersOf(r) }))
    },

    async setReactionCount (id: number, key: ArticleReactionKey, value: number): Promise<void> {
      await db('articles').where({ id }).update({ [reactionColumn(key)]: value })
    },

    /**
     * 上一篇 (older) and 下一篇 (newer) within the category: two index range scans with LIMIT 1 on
     * (category_id, status, published_at). (One statement with `id = (subquery) OR id = (subquery)`
     * was tried: SQLite turns it into two primary-key lookups, MySQL into a scan of the whole table.)
     */
    async neighbours (article: Pick<ArticleRow, 'id' | 'category_id' | 'published_at'>): Promise<{ previous: NeighbourRow | null, next: NeighbourRow | null }> {
      const side = async (older: boolean): Promise<NeighbourRow | null> => {
        const row = await visible(db('articles').where({ category_id: article.category_id }))
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

/**
 * Counter changes made inside another feature's transaction (a comment's status, a reaction): the
 * counter moves in the same transaction as the rows it counts.
 */
export const articleCounters = {
  /**
   * Locks the article row (MySQL; SQLite serialises writers anyway). The reactions feature takes it
   * first in every transaction, before its own row: a change or withdrawal used to lock the reaction row
   * first and the article second, a new reaction the other way round, and one member's mixed concurrent
   * clicks deadlocked on MariaDB.
   */
  async lock (trx: Knex.Transaction, articleId: number): Promise<void> {
    if (trx.client.config.client !== 'mysql2') return
    await trx('articles').where({ id: articleId }).forUpdate().first('id')
  },

  async adjustComments (trx: Knex.Transaction, articleId: number, delta: number): Promise<void> {
    if (delta === 0) return
    if (delta > 0) {
      await trx('articles').where('id', articleId).increment('comment_count', delta)
    } else {
      // Never below zero (the column is unsigned on MySQL, where going under is an error), even if it had drifted.
      await trx('articles').where('id', articleId).update({ comment_count: trx.raw('CASE WHEN comment_count > ? THEN comment_count - ? ELSE 0 END', [-delta, -delta]) })
    }
  },

  /** Moves several reaction counters in one UPDATE (a changed reaction: one down, one up). */
  async adjustReactions (trx: Knex.Transaction, articleId: number, changes: Partial<Record<ArticleReactionKey, 1 | -1>>): Promise<void> {
    const update: Record<string, Knex.Raw> = {}
    for (const key of ARTICLE_REACTION_KEYS) {
      const delta = changes[key]
      if (delta === undefined) continue
      const column = reactionColumn(key)
      update[column] = delta > 0 ? trx.raw('?? + 1', [column]) : trx.raw('?? - 1', [column])
    }
    if (Object.keys(update).length === 0) return
    await trx('articles').where({ id: articleId }).update(update)
  }
}

export type PortalRepository = ReturnType<typeof portalRepository>
