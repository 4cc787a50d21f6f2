import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import archiverRoutes from './routes'

/**
 * The Archiver (/archiver/…): text-only pages for slow phones and crawlers. It has no service of its
 * own: it reads the portal (`app.portal`), the comments (`app.comments`) and the forum. The sitemap
 * (robots.txt, sitemap.xml) lives beside it and is registered before the features that add sources.
 */

export { default as sitemapPlugin, type SitemapEntry, type SitemapSource } from './sitemap'

export interface ArchiverOptions {
  config: AppConfig
  /** The guest page cache's lifetime (0 in tests): the forum's board list is reused as long. */
  cacheMs?: number
}

export default fp<ArchiverOptions>(async (app, opts) => {
  await app.register(archiverRoutes, { prefix: '/archiver', cacheMs: opts.cacheMs, config: opts.config })
}, { name: 'archiver', dependencies: ['portal', 'comments', 'forum', 'settings', 'guest-pages', 'view-counts'] })
