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
export { categoryMessages, type CategoriesAdmin, type CategoryAdminRow, type CategoryInput } from './categories-admin'

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
  // 文章数 and 最新文章 on a member's profile (the members feature asks its providers; it knows no articles).
  app.memberProfiles.addProvider({
    name: 'articles',
    stats: async (userId) => [{ label: '文章数', value: await app.portal.countByAuthor(userId), order: 10 }],
    async recent (userId) {
      const rows = await app.portal.latestByAuthor(userId, 5)
      if (rows.length === 0) return null
      return { title: '最新文章', order: 10, items: rows.map((r) => ({ title: r.title, url: `/article/${r.id}`, at: r.published_at })) }
    }
  })
  await app.register(portalRoutes)
}, { name: 'portal', dependencies: ['db', 'clock', 'auth', 'view', 'view-counts', 'guest-pages', 'sitemap', 'members'] })
