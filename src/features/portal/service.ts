import type { Knex } from 'knex'
import { MicroCache } from '../../lib/micro-cache'
import { notFound } from '../../lib/http-errors'
import { imageSizesFor, RENDERER_VERSION, type ImageSizeLookup } from '../../lib/markdown'
import { articleRenderColumns, storedPages, type ArticleRenderColumns } from '../../lib/article-render'
import { paginate, type Page } from '../../lib/pagination'
import { inDisplayOrder, Tree } from '../../lib/tree'
import { categoriesAdmin } from './categories-admin'
import { articleCounters, portalRepository, type ArticleListRow, type FeedRow, type ArticleReactionKey, type ArticleRow, type CategoryRow, type NeighbourRow, type PortalRepository, type ReactionCounters } from './repository'
import type { SearchIndex } from '../search'

/** Portal rules: which articles a reader may see, category trees, lists. No Fastify types here. */

export const ARTICLE_NOT_FOUND = '抱歉，您指定要查看的文章不存在或正在审核'
export const CATEGORY_NOT_FOUND = '抱歉，您指定的分类不存在'
export const CATEGORY_PAGE_SIZE = 20
export const HOME_PAGE_SIZE = 15
export const HOT_LIST_SIZE = 10
export const HOT_WINDOW_DAYS = 90

export interface Category {
  id: number
  parentId: number | null
  name: string
  description: string
  allowComments: boolean
  children: Category[]
}

/**
 * The category tree (lib/tree.ts, the same shape as the forum's boards): `get`, `path` (breadcrumbs),
 * `subtreeIds` (a parent's list includes its subcategories' articles), plus the portal's one rule.
 */
export class CategoryTree extends Tree<Category> {
  constructor (rows: readonly CategoryRow[]) {
    super(inDisplayOrder(rows).map((r) => ({
      id: r.id, parentId: r.parent_id, name: r.name, description: r.description, allowComments: Boolean(r.allow_comments), children: []
    })))
  }

  /** Comments are allowed only when the category and every ancestor allow them. */
  allowsComments (id: number): boolean {
    return this.path(id).every((c) => c.allowComments)
  }
}

export interface ArticleView {
  article: ArticleRow
  /** The page shown (`?page=N`, clamped to the article's pages like a thread's) and its HTML. */
  bodyHtml: string
  page: number
  pageCount: number
  categoryPath: Category[]
  previous: NeighbourRow | null
  next: NeighbourRow | null
  related: ArticleListRow[]
}

/** What the article cache keeps: the view with every page of the body (a request picks its page). */
type CachedArticle = Omit<ArticleView, 'bodyHtml' | 'page' | 'pageCount'> & { pages: string[] }

// Categories change rarely and only by admins; a short cache keeps them out of every page's queries.
const CATEGORY_CACHE_MS = 5000
const COUNT_CACHE_MS = 5000
const ARTICLE_CACHE_MS = 1000

export interface PortalCacheOptions {
  /** List totals (COUNT) are reused this long (default 5 s). */
  countCacheMs?: number
  /** An article with its neighbours and hot list is reused this long for every reader (default 1 s). */
  articleCacheMs?: number
}

/**
 * Which database a read goes to. Guests read from the replica (DATABASE_READ_URL) when there is one;
 * members from the primary, so they never miss their own latest write to replication lag.
 */
export type PortalReaderKind = 'primary' | 'replica'

/** The rule in one place: a guest (no member) reads the replica, a member the primary. */
export function readerFor (member: { id: number } | null): PortalReaderKind {
  return member === null ? 'replica' : 'primary'
}

/** Comments are allowed only when the article and its category and every category above it allow them. */
function commentsAllowedIn (tree: CategoryTree, article: Pick<ArticleRow, 'allow_comments' | 'category_id'>): boolean {
  return Boolean(article.allow_comments) && tree.allowsComments(article.category_id)
}

/** The portal's reads over one database handle, with their own short caches. */
function portalReader (db: Knex, writeRepo: PortalRepository, nowMs: () => number, options: PortalCacheOptions, imageSizes?: ImageSizeLookup) {
  // A list cached at t was read with now = t: it never holds an article scheduled after t.
  const repo = portalRepository(db, () => Math.floor(nowMs() / 1000))

  /**
   * An article's stored render (written with the body, so a page read parses no Markdown). An article
   * without a current one (seeded or written before renders were stored, or by an older
   * RENDERER_VERSION) is rendered once, bounded like any body, and written back for the next reader.
   */
  async function storedRender (article: ArticleRow): Promise<ArticleRow & { body_html: string, body_text_html: string }> {
    if (article.render_version === RENDERER_VERSION && article.body_html !== null && article.body_text_html !== null) {
      return { ...article, body_html: article.body_html, body_text_html: article.body_text_html }
    }
    const fresh: ArticleRenderColumns = articleRenderColumns(article.body, await imageSizesFor(article.body, imageSizes))
    await writeRepo.storeRender(article.id, fresh)
    return { ...article, ...fresh }
  }
  let cachedTree: { tree: CategoryTree, at: number } | null = null
  // COUNT(*) grows with the data; a list's page count may lag a few seconds behind new articles.
  const counts = new MicroCache<number>(options.countCacheMs ?? COUNT_CACHE_MS)
  // Shared by guests and members: what every reader sees alike (member-specific parts are sections).
  const articles = new MicroCache<CachedArticle>(options.articleCacheMs ?? ARTICLE_CACHE_MS)
  // The home and category lists, shared for the same second like articles.
  const lists = new MicroCache<{ rows: ArticleListRow[], hot: ArticleListRow[], total: number }>(options.articleCacheMs ?? ARTICLE_CACHE_MS)
  async function countIn (ids: readonly number[]): Promise<number> {
    return await counts.getOrLoad(ids.join(','), nowMs(), async () => await repo.countInCategories(ids))
  }

  async function categoryTree (): Promise<CategoryTree> {
    const now = nowMs()
    if (cachedTree === null || now - cachedTree.at > CATEGORY_CACHE_MS || now < cachedTree.at) {
      cachedTree = { tree: new CategoryTree(await repo.allCategories()), at: now }
    }
    return cachedTree.tree
  }

  async function loadArticle (id: number): Promise<CachedArticle> {
    const found = await repo.findPublishedArticle(id)
    if (found === null) throw notFound(ARTICLE_NOT_FOUND)
    const tree = await categoryTree()
    const [neighbours, related, article] = await Promise.all([
      repo.neighbours(found),
      repo.hottestInCategory(found.category_id, HOT_LIST_SIZE),
      storedRender(found)
    ])
    return {
      article,
      pages: storedPages(article.body_html),
      categoryPath: tree.path(article.category_id),
      previous: neighbours.previous,
      next: neighbours.next,
      related: related.filter((r) => r.id !== article.id).slice(0, HOT_LIST_SIZE - 1)
    }
  }

  return {
    categoryTree,
    /** Drops this reader's category tree and list caches (after an admin's change commits here). */
    forgetCategories: (): void => { cachedTree = null; counts.clear(); lists.clear() },

    async home (requestedPage: number, now: number): Promise<{ newest: ArticleListRow[], page: Page, hot: ArticleListRow[], tree: CategoryTree }> {
      const tree = await categoryTree()
      // Every published article (all belong to a category): the (status, published_at) index serves
      // the newest first without sorting, where an IN list over every category would need a filesort.
      const total = await counts.getOrLoad('all', nowMs(), async () => await repo.countPublished())
      const page = paginate(requestedPage, HOME_PAGE_SIZE, total)
      const list = await lists.getOrLoad(`home:${page.page}`, nowMs(), async () => {
        const [rows, hot] = await Promise.all([
          repo.newestPage(page.offset, page.perPage),
          repo.hottestSince(now - HOT_WINDOW_DAYS * 86400, HOT_LIST_SIZE)
        ])
        return { rows, hot, total }
      })
      return { newest: list.rows, page, hot: list.hot, tree }
    },

    async category (id: number, requestedPage: number): Promise<{ category: Category, path: Category[], articles: ArticleListRow[], page: Page, hot: ArticleListRow[], tree: CategoryTree }> {
      const tree = await categoryTree()
      const category = tree.get(id)
      if (category === null) throw notFound(CATEGORY_NOT_FOUND)
      const ids = tree.subtreeIds(id)
      const total = await countIn(ids)
      const page = paginate(requestedPage, CATEGORY_PAGE_SIZE, total)
      const list = await lists.getOrLoad(`category:${id}:${page.page}`, nowMs(), async () => {
        const [rows, hot] = await Promise.all([
          repo.pageInCategories(ids, page.offset, page.perPage),
          repo.hottestInCategory(id, HOT_LIST_SIZE)
        ])
        return { rows, hot, total }
      })
      return { category, path: tree.path(id), articles: list.rows, page, hot: list.hot, tree }
    },

    /** A category's articles without the side lists (text views such as the Archiver). */
    async articleList (id: number, requestedPage: number, perPage: number): Promise<{ category: Category, path: Category[], articles: ArticleListRow[], page: Page }> {
      const tree = await categoryTree()
      const category = tree.get(id)
      if (category === null) throw notFound(CATEGORY_NOT_FOUND)
      const ids = tree.subtreeIds(id)
      const page = paginate(requestedPage, perPage, await countIn(ids))
      return { category, path: tree.path(id), articles: await repo.pageInCategories(ids, page.offset, page.perPage), page }
    },

    /**
     * One published article as it is now (never a cached copy: write paths check it), its category path
     * and whether it takes comments; no side lists or rendering.
     */
    async articleRow (id: number): Promise<{ article: ArticleRow, categoryPath: Category[], commentsAllowed: boolean }> {
      const article = await repo.findPublishedArticle(id)
      if (article === null) throw notFound(ARTICLE_NOT_FOUND)
      const tree = await categoryTree()
      return { article, categoryPath: tree.path(article.category_id), commentsAllowed: commentsAllowedIn(tree, article) }
    },

    /** Whether an article takes comments (the article's switch and its categories'). */
    async commentsAllowed (article: Pick<ArticleRow, 'allow_comments' | 'category_id'>): Promise<boolean> {
      return commentsAllowedIn(await categoryTree(), article)
    },

    /** The article's visible comments: its counter, kept by the comments feature in the same transaction as every status change. */
    commentCount: async (id: number): Promise<number> => await repo.commentCount(id),

    /** Published articles and a page of them by id (the sitemap; not cached: crawlers ask rarely). */
    countPublished: async (): Promise<number> => await repo.countPublished(),
    publishedById: async (offset: number, limit: number): Promise<Array<{ id: number, updated_at: number }>> => await repo.publishedById(offset, limit),

    /** One published article and its body's pages as text-mode HTML (images become `[图: caption]`). */
    async articleAsText (id: number): Promise<{ article: ArticleRow, textPages: string[], categoryPath: Category[] }> {
      const found = await repo.findPublishedArticle(id)
      if (found === null) throw notFound(ARTICLE_NOT_FOUND)
      const article = await storedRender(found)
      return { article, textPages: storedPages(article.body_text_html), categoryPath: (await categoryTree()).path(article.category_id) }
    },

    /** An article and page `requestedPage` of its body (past the last page: the last, as a thread's pages). */
    async article (id: number, requestedPage = 1): Promise<ArticleView> {
      const { pages, ...view } = await articles.getOrLoad(String(id), nowMs(), async () => await loadArticle(id))
      const page = Math.min(Math.max(1, requestedPage), pages.length)
      return { ...view, bodyHtml: pages[page - 1] ?? '', page, pageCount: pages.length }
    },

    /**
     * The newest published articles of a feed (all, or a category with its subcategories), never one
     * scheduled after `now`. Not cached here: the feed routes keep the XML they build.
     */
    async feed (categoryId: number | null, now: number, limit: number): Promise<{ category: Category | null, items: FeedRow[] }> {
      if (categoryId === null) return { category: null, items: await repo.newestForFeed(null, now, limit) }
      const tree = await categoryTree()
      const category = tree.get(categoryId)
      if (category === null) throw notFound(CATEGORY_NOT_FOUND)
      return { category, items: await repo.newestForFeed(tree.subtreeIds(categoryId), now, limit) }
    }
  }
}

export type PortalReader = ReturnType<typeof portalReader>

export interface PortalServiceDeps {
  /** The primary: every write, members' reads, and the write paths' checks. */
  db: Knex
  /** The replica guests read from (DATABASE_READ_URL); the primary when there is none. */
  dbRead?: Knex
  nowMs: () => number
  cache?: PortalCacheOptions
  /** The search index (app.search.index): articles moved between categories move there too. */
  searchIndex?: SearchIndex
  /** Stored pictures' sizes (app.uploads.imageSizes), written into a body's <img> when it is rendered. */
  imageSizes?: ImageSizeLookup
}

/**
 * The portal, built once per app (`app.portal`). Reads go through `forReader(kind)`: one reader per
 * database, each with its caches, so a member's page never comes from a copy read on the replica.
 * Other features change the articles' counters only through the methods below, inside their own
 * transactions, and never touch the articles table themselves.
 */
export function portalService (deps: PortalServiceDeps) {
  const { db, nowMs } = deps
  const cache = deps.cache ?? {}
  const writeRepo = portalRepository(db, () => Math.floor(nowMs() / 1000))
  const primary = portalReader(db, writeRepo, nowMs, cache, deps.imageSizes)
  const replica = deps.dbRead === undefined || deps.dbRead === db ? primary : portalReader(deps.dbRead, writeRepo, nowMs, cache, deps.imageSizes)

  return {
    forReader: (kind: PortalReaderKind): PortalReader => kind === 'replica' ? replica : primary,

    /** 门户频道 administration (categories-admin.ts); this process's caches are dropped after each change. */
    categoriesAdmin: categoriesAdmin(db, () => { primary.forgetCategories(); replica.forgetCategories() }, deps.searchIndex),

    /** One published article as it is now on the primary (write paths), its category path and commentsAllowed. */
    articleRow: async (id: number) => await primary.articleRow(id),

    /** Locks the article row before the caller's own rows (the reactions' lock order; see articleCounters.lock). */
    lockArticle: async (trx: Knex.Transaction, articleId: number): Promise<void> => { await articleCounters.lock(trx, articleId) },

    /** Moves comment_count with the caller's change of visible comments, clamped at 0. */
    adjustCommentCount: async (trx: Knex.Transaction, articleId: number, delta: number): Promise<void> => { await articleCounters.adjustComments(trx, articleId, delta) },

    /** Moves reaction counters with the caller's change of reaction rows (one UPDATE for a changed kind). */
    adjustReactionCount: async (trx: Knex.Transaction, articleId: number, changes: Partial<Record<ArticleReactionKey, 1 | -1>>): Promise<void> => {
      await articleCounters.adjustReactions(trx, articleId, changes)
    },

    /** An article's reaction counters as they are now on the primary (a member sees their own click at once). */
    reactionCounts: async (articleId: number): Promise<ReactionCounters | null> => await writeRepo.reactionCounts(articleId),

    /** For a member's profile: their latest published articles and how many they have. */
    latestByAuthor: async (authorId: number, limit: number) => await writeRepo.latestByAuthor(authorId, limit),
    countByAuthor: async (authorId: number): Promise<number> => await writeRepo.countByAuthor(authorId),

    /** Article titles by id (a review queue names each comment's article). */
    titles: async (ids: readonly number[]): Promise<Map<number, string>> => await writeRepo.titles(ids),
    authorAndTitle: async (trx: Knex.Transaction, id: number): Promise<{ authorId: number, title: string } | null> => await writeRepo.authorAndTitle(trx, id),
    /** Titles of those of the given articles that are published (a profile lists comments on published articles only). */
    publishedTitles: async (ids: readonly number[]): Promise<Map<number, string>> => await writeRepo.publishedTitles(ids),

    /** Reconcile commands: the stored counters in id batches, and the setter for a drifted one. */
    commentCountsAfter: async (afterId: number, limit: number) => await writeRepo.commentCountsAfter(afterId, limit),
    setCommentCount: async (articleId: number, count: number): Promise<void> => { await writeRepo.setCommentCount(articleId, count) },
    reactionCountsAfter: async (afterId: number, limit: number) => await writeRepo.reactionCountsAfter(afterId, limit),
    setReactionCount: async (articleId: number, key: ArticleReactionKey, value: number): Promise<void> => { await writeRepo.setReactionCount(articleId, key, value) },

    /** Renders every article whose stored render is missing or older than RENDERER_VERSION (portal:render), in batches by id. */
    async renderStale (batchSize = 200): Promise<number> {
      let afterId = 0
      let rendered = 0
      for (;;) {
        const batch = await writeRepo.staleRenders(RENDERER_VERSION, afterId, batchSize)
        if (batch.length === 0) return rendered
        for (const a of batch) {
          await writeRepo.storeRender(a.id, articleRenderColumns(a.body, await imageSizesFor(a.body, deps.imageSizes)))
          afterId = a.id
          rendered++
        }
      }
    }
  }
}

export type PortalService = ReturnType<typeof portalService>
