import fp from 'fastify-plugin'
import portalRoutes from './routes'
import { articleSections, homeSections, type ArticleSections, type HomeSections } from './sections'
import { portalService, type PortalService } from './service'

/**
 * The portal (门户): categories and articles. Built once here and shared as `app.portal`; other
 * features read articles and move their counters only through it. The article page and the home are
 * assembled from sections other features add (`app.articleSections`, `app.homeSections`).
 */

export { ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND, type ArticleView, type Category, type PortalReader, type PortalReaderKind, type PortalService } from './service'
export { ARTICLE_REACTION_KEYS, type ArticleReactionKey, type ArticleRow, type ArticleListRow, type ReactionCounters } from './repository'
export type { ArticleSectionContext, ArticleSectionLoader, ArticleSections, HomeSectionContext, HomeSectionLoader, HomeSections } from './sections'
export { portalService, readerFor } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    portal: PortalService
    articleSections: ArticleSections
    homeSections: HomeSections
  }
}

export interface PortalOptions {
  /** 0 turns the service's short caches off (tests); guest pages are cached by the guest page cache. */
  guestCacheMs?: number
}

export default fp<PortalOptions>(async (app, opts) => {
  // Tests turn the guest cache off; cached list counts go with it (a frozen test clock never expires them).
  const cache = opts.guestCacheMs === 0 ? { countCacheMs: 0, articleCacheMs: 0 } : {}
  app.decorate('portal', portalService({ db: app.db, dbRead: app.dbRead, nowMs: () => app.clock.nowMs(), cache }))
  app.decorate('articleSections', articleSections())
  app.decorate('homeSections', homeSections())
  await app.register(portalRoutes)
}, { name: 'portal', dependencies: ['db', 'clock', 'auth', 'view', 'view-counts', 'guest-pages', 'sitemap'] })
