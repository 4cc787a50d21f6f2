import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import forumRoutes from './routes'
import { forumService, type ForumService } from './service'

/**
 * The forum feature: boards, threads, replies, moderation of them. The service is built once here
 * and shared as `app.forum` (the forum pages, the Archiver's text pages, the home page's latest
 * threads); the routes are an encapsulated child. What the forum adds to other features' registries
 * (a ban hook, the sitemap's threads, the home page's section) is wired here too.
 */

declare module 'fastify' {
  interface FastifyInstance {
    forum: ForumService
  }
}

export default fp<{ config: AppConfig }>(async function forumFeature (app, opts) {
  const forum = forumService({
    db: app.db,
    dbRead: app.dbRead,
    timeZone: async (trx) => await app.settings.timeZone(trx),
    // The same anti-abuse instance (and word-list cache) as comments: one set of rules for all member content.
    antiAbuse: app.antiAbuse,
    audit: app.moderation.audit,
    searchIndex: app.siteSearch.index,
    notifications: app.notifications,
    imageSizes: async (urls) => await app.uploads.imageSizes(urls)
  })
  app.decorate('forum', forum)

  // Crawlers get the threads guests may read (members-only boards never appear).
  app.sitemap.add({
    name: 'threads',
    count: forum.guestThreads.count,
    list: async (offset, limit) => (await forum.guestThreads.list(offset, limit)).map((t) => ({ path: `/thread/${t.id}`, lastModified: t.lastPostAt }))
  })
  // Reports into the ban's audit row only when it hid something.
  app.banHooks.add('forum', async (event, trx) => {
    if (!event.hideRecentContent && event.hideAllContent !== true) return undefined
    const hidden = await forum.hideRecentContent(trx, event.userId, event.at, event.hideAllContent === true ? 0 : undefined)
    return hidden.hiddenThreads + hidden.hiddenPosts > 0 ? hidden : undefined
  })
  app.homeSections.add('latestThreads', async ({ request }) => await forum.latestThreads(request.user, app.clock.now()))

  await app.register(forumRoutes, opts)
}, {
  name: 'forum',
  dependencies: ['db', 'clock', 'antiabuse', 'moderation', 'view-counts', 'guest-pages', 'sitemap', 'portal', 'legacy-urls', 'auth', 'view', 'search', 'notifications']
})

export {
  messages, floorLabel, cleanTitle, cleanBody, renderForStorage, BoardTree,
  THREADS_PER_PAGE, POSTS_PER_PAGE, TITLE_MAX_LENGTH, BODY_MAX_LENGTH, LATEST_THREADS, REVIEW_PAGE_SIZE, HIDE_RECENT_SECONDS,
  type ForumService, type Board, type BoardReadOptions, type ModerationContext, type PostView, type ThreadPageView, type ThreadTextView
} from './service'
export type { LatestThreadRow, ThreadRow, PostRow } from './repository'
export { forumSearchSources } from './search-documents'
export { boardMessages, type BoardsAdmin, type BoardAdminRow, type BoardInput, type BoardKind } from './boards-admin'
