import fp from 'fastify-plugin'
import portalRoutes from './routes'
import { articleSections, homeSections, type ArticleSections, type HomeSections } from './sections'
import { portalService, type PortalService } from './service'
import { publishingService, type PublishingService } from './publishing'
import writeRoutes from './write-routes'
import manageRoutes from './manage-routes'
import type { AppConfig } from '../../config'

/**
 * The portal (门户): categories and articles. Built once here and shared as `app.portal`; other
 * features read articles and move their counters only through it. The article page and the home are
 * assembled from sections other features add (`app.articleSections`, `app.homeSections`).
 */

export { ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND, type ArticleView, type Category, type PortalReader, type PortalReaderKind, type PortalService } from './service'
export { ARTICLE_REACTION_KEYS, type ArticleReactionKey, type ArticleRow, type ArticleListRow, type ReactionCounters } from './repository'
export type { ArticleSectionContext, ArticleSectionLoader, ArticleSections, HomeSectionContext, HomeSectionLoader, HomeSections } from './sections'
export { portalService, readerFor } from './service'
export { publishingService, type PublishingService } from './publishing'
export { articleSearchSource } from './search-documents'
export { categoryMessages, type CategoriesAdmin, type CategoryAdminRow, type CategoryInput } from './categories-admin'

declare module 'fastify' {
  interface FastifyInstance {
    portal: PortalService
    articleSections: ArticleSections
    homeSections: HomeSections
    /** 发布文章 and 文章管理: editors' grants, saving with revisions, bulk actions (publishing.ts). */
    publishing: PublishingService
  }
}

export interface PortalOptions {
  /** 0 turns the service's short caches off (tests); guest pages are cached by the guest page cache. */
  guestCacheMs?: number
  config: AppConfig
}

export default fp<PortalOptions>(async (app, opts) => {
  // Tests turn the guest cache off; cached list counts go with it (a frozen test clock never expires them).
  const cache = opts.guestCacheMs === 0 ? { countCacheMs: 0, articleCacheMs: 0 } : {}
  app.decorate('portal', portalService({ db: app.db, dbRead: app.dbRead, nowMs: () => app.clock.nowMs(), cache, searchIndex: app.siteSearch.index,
    // Looked up when a body is rendered: the uploads feature is registered after this one.
    imageSizes: async (urls) => await app.uploads.imageSizes(urls) }))
  app.decorate('articleSections', articleSections())
  app.decorate('homeSections', homeSections())
  app.decorate('publishing', publishingService({
    db: app.db,
    timeZone: async () => await app.settings.timeZone(),
    categoryTree: async () => await app.portal.forReader('primary').categoryTree(),
    // The admin centre's audit function (the append-only audit log), looked up when an action is
    // recorded: the site-admin feature is registered after this one.
    audit: async (entry, trx) => { await app.adminAudit(entry, trx) },
    searchIndex: app.siteSearch.index,
    imageSizes: async (urls) => await app.uploads.imageSizes(urls)
  }))
  // 文章数 and 最新文章 on member profiles, from the portal's own reads (scheduled articles stay hidden).
  app.memberProfiles.addProvider({
    name: 'articles',
    stats: async (uid) => [{ label: '文章数', value: await app.portal.countByAuthor(uid), order: 10 }],
    recent: async (uid) => {
      const rows = await app.portal.latestByAuthor(uid, 5)
      if (rows.length === 0) return null
      return { title: '最新文章', order: 10, items: rows.map((r) => ({ title: r.title, url: `/article/${r.id}`, at: r.published_at })) }
    }
  })
  await app.register(portalRoutes)
  await app.register(writeRoutes, { config: opts.config })
  await app.register(manageRoutes)
}, { name: 'portal', dependencies: ['db', 'clock', 'auth', 'view', 'view-counts', 'guest-pages', 'sitemap', 'members', 'search'] })
