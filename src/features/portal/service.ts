import type { Knex } from 'knex'
import { MicroCache } from '../../lib/micro-cache'
import { notFound } from '../../lib/http-errors'
import { RENDERER_VERSION, renderStoredBody, type RenderedBody } from '../../lib/markdown'
import { paginate, type Page } from '../../lib/pagination'
import { portalRepository, type ArticleListRow, type ArticleRow, type CategoryRow, type NeighbourRow } from './repository'

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

export class CategoryTree {
  readonly roots: Category[]
  private readonly byId: Map<number, Category>

  constructor (rows: readonly CategoryRow[]) {
    this.byId = new Map(rows.map((r) => [r.id, {
      id: r.id, parentId: r.parent_id, name: r.name, description: r.description, allowComments: Boolean(r.allow_comments), children: []
    }]))
    this.roots = []
    for (const c of this.byId.values()) {
      const parent = c.parentId === null ? undefined : this.byId.get(c.parentId)
      if (parent === undefined) this.roots.push(c)
      else parent.children.push(c)
    }
  }

  get (id: number): Category | null { return this.byId.get(id) ?? null }

  /** The category and its ancestors, root first (for breadcrumbs). */
  path (id: number): Category[] {
    const out: Category[] = []
    const guard = new Set<number>()
    let c = this.byId.get(id)
    while (c !== undefined && !guard.has(c.id)) {
      guard.add(c.id)
      out.unshift(c)
      c = c.parentId === null ? undefined : this.byId.get(c.parentId)
    }
    return out
  }

  /** The category's id and all its descendants' ids (a parent's list includes its subcategories' articles). */
  subtreeIds (id: number): number[] {
    const out: number[] = []
    const stack = [this.byId.get(id)]
    while (stack.length > 0) {
      const c = stack.pop()
      if (c === undefined || out.includes(c.id)) continue
      out.push(c.id)
      stack.push(...c.children)
    }
    return out
  }

  /** Comments are allowed only when the category and every ancestor allow them. */
  allowsComments (id: number): boolean {
    return this.path(id).every((c) => c.allowComments)
  }
}

export interface ArticleView {
  article: ArticleRow
  bodyHtml: string
  categoryPath: Category[]
  previous: NeighbourRow | null
  next: NeighbourRow | null
  related: ArticleListRow[]
}

// Categories change rarely and only by admins; a short cache keeps them out of every page's queries.
const CATEGORY_CACHE_MS = 5000
const COUNT_CACHE_MS = 5000
const ARTICLE_CACHE_MS = 1000

export interface PortalCacheOptions {
  /** List totals (COUNT) are reused this long (default 5 s). */
  countCacheMs?: number
  /** An article with its neighbours and hot list is reused this long for every reader (default 1 s). */
  articleCacheMs?: number
  /** Where a body rendered on read is written back: the primary when `db` is a replica (default `db`). */
  writeDb?: Knex
}

export function portalService (db: Knex, nowMs: () => number, options: PortalCacheOptions = {}) {
  const repo = portalRepository(db)
  const writeRepo = options.writeDb === undefined ? repo : portalRepository(options.writeDb)

  /**
   * An article's stored render (written with the body, so a page read parses no Markdown). An article
   * without a current one (seeded or written before renders were stored, or by an older
   * RENDERER_VERSION) is rendered once, bounded like any body, and written back for the next reader.
   */
  async function storedRender (article: ArticleRow): Promise<RenderedBody> {
    if (article.render_version === RENDERER_VERSION && article.body_html !== null && article.body_text_html !== null) {
      return { html: article.body_html, textHtml: article.body_text_html }
    }
    const fresh = { ...renderStoredBody(article.body), version: RENDERER_VERSION }
    await writeRepo.storeRender(article.id, fresh)
    return fresh
  }
  let cachedTree: { tree: CategoryTree, at: number } | null = null
  // COUNT(*) grows with the data; a list's page count may lag a few seconds behind new articles.
  const counts = new MicroCache<number>(options.countCacheMs ?? COUNT_CACHE_MS)
  // Shared by guests and members: what every reader sees alike (member-specific parts are sections).
  const articles = new MicroCache<ArticleView>(options.articleCacheMs ?? ARTICLE_CACHE_MS)
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

  async function loadArticle (id: number): Promise<ArticleView> {
    const article = await repo.findPublishedArticle(id)
    if (article === null) throw notFound(ARTICLE_NOT_FOUND)
    const tree = await categoryTree()
    const [neighbours, related] = await Promise.all([
      repo.neighbours(article),
      repo.hottestInCategory(article.category_id, HOT_LIST_SIZE)
    ])
    return {
      article,
      bodyHtml: (await storedRender(article)).html,
      categoryPath: tree.path(article.category_id),
      previous: neighbours.previous,
      next: neighbours.next,
      related: related.filter((r) => r.id !== article.id).slice(0, HOT_LIST_SIZE - 1)
    }
  }

  return {
    categoryTree,

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

    /** One published article and its category path, without side lists or rendering (write paths). */
    async articleRow (id: number): Promise<{ article: ArticleRow, categoryPath: Category[] }> {
      const article = await repo.findPublishedArticle(id)
      if (article === null) throw notFound(ARTICLE_NOT_FOUND)
      return { article, categoryPath: (await categoryTree()).path(article.category_id) }
    },

    /** One published article and its body as text-mode HTML (images become `[图: caption]`). */
    async articleAsText (id: number): Promise<{ article: ArticleRow, textHtml: string, categoryPath: Category[] }> {
      const article = await repo.findPublishedArticle(id)
      if (article === null) throw notFound(ARTICLE_NOT_FOUND)
      const { textHtml } = await storedRender(article)
      return { article, textHtml, categoryPath: (await categoryTree()).path(article.category_id) }
    },

    /** Renders every article whose stored render is missing or older than RENDERER_VERSION (portal:render), in batches by id. */
    async renderStale (batchSize = 200): Promise<number> {
      let afterId = 0
      let rendered = 0
      for (;;) {
        const batch = await writeRepo.staleRenders(RENDERER_VERSION, afterId, batchSize)
        if (batch.length === 0) return rendered
        for (const a of batch) {
          await writeRepo.storeRender(a.id, { ...renderStoredBody(a.body), version: RENDERER_VERSION })
          afterId = a.id
          rendered++
        }
      }
    },

    async article (id: number): Promise<ArticleView> {
      return await articles.getOrLoad(String(id), nowMs(), async () => await loadArticle(id))
    }
  }
}

export type PortalService = ReturnType<typeof portalService>
