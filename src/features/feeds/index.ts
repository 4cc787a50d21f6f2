import fp from 'fastify-plugin'
import feedRoutes from './routes'
import { feedsService, type FeedsService } from './service'

/**
 * RSS feeds (订阅): the portal's newest articles for feed readers, with absolute links from SITE_URL
 * (`app.siteOrigin`). Built once here as `app.feeds`; it reads articles only through `app.portal`.
 */

export { FEED_SIZE, type BuiltFeed, type FeedsService } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    feeds: FeedsService
  }
}

export interface FeedsOptions {
  /** How long a built feed is reused (default 10 s; 0 in tests). */
  cacheMs?: number
}

export default fp<FeedsOptions>(async (app, opts) => {
  app.decorate('feeds', feedsService({
    // Feed readers are guests: the replica when there is one, like the sitemap.
    portal: app.portal.forReader('replica'),
    siteName: async () => await app.settings.get('site_name'),
    nowMs: () => app.clock.nowMs(),
    cacheMs: opts.cacheMs
  }))
  await app.register(feedRoutes)
}, { name: 'feeds', dependencies: ['portal', 'sitemap', 'settings', 'clock'] })
