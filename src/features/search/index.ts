import fp from 'fastify-plugin'
import { searchRepository } from './repository'
import { searchService, type MemberDirectory, type SearchService } from './service'
import { inProcessRanker, workerRanker } from './ranker'
import searchRoutes from './routes'

/**
 * 搜索 (issue 23). Two plugins, so that nothing depends in a circle:
 * - `search` (before the portal and the forum): builds the index service once and decorates `app.search`;
 *   the portal and the forum call `app.siteSearch.index.*(trx, …)` in the transactions that change their
 *   content, so the index never lags behind a publish, edit, hide, delete, approval or move.
 * - `search-pages` (after them): GET /search and search.php, with the portal's categories and the
 *   forum's boards for the scope filter, read through their services.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** Fastify 5 already has `app.search` (the route shorthand of the SEARCH method): hence `siteSearch`. */
    siteSearch: SearchService
  }
}

export type { SearchIndex, SearchService } from './service'
export type { SearchDocument, SearchKind, Audience } from './repository'
export { searchCommands, reindex, type SearchSource } from './cli'

/** How old the board tree behind the search form's 范围 list may be. */
const SEARCH_BOARDS_MAX_AGE_MS = 1000

export default fp(async (app) => {
  const members: MemberDirectory = {
    byNamePrefix: async (prefix, limit) => (await app.memberAdmin.search({ kind: 'name', prefix }, limit))
      .map((m) => ({ id: m.id, username: m.username, createdAt: Number(m.created_at), postCount: Number(m.post_count) })),
    namesOf: async (ids) => {
      if (ids.length === 0) return new Map()
      const rows = await app.memberAdmin.search({ kind: 'ids', ids }, ids.length)
      return new Map(rows.map((m) => [m.id, m.username]))
    }
  }
  const repo = searchRepository(app.db)
  // SQLite on a file: the ranking runs in a worker thread, off the event loop (workerRanker says why).
  const { filename } = (app.db.client.config as { connection?: { filename?: string } }).connection ?? {}
  const ranker = app.db.client.config.client !== 'mysql2' && typeof filename === 'string' && filename !== ':memory:' ? workerRanker(filename) : inProcessRanker(repo)
  const service = searchService({ repo, members, ranker })
  app.decorate('siteSearch', service)
  app.addHook('onClose', async () => { await service.close() })
}, { name: 'search', dependencies: ['db', 'members'] })

export const searchPagesPlugin = fp(async (app) => {
  await app.register(searchRoutes, {
    service: app.siteSearch,
    scopes: {
      categories: async () => {
        const tree = await app.portal.forReader('primary').categoryTree()
        return tree.nodes().map((c) => ({ id: c.id, name: c.name, ids: tree.subtreeIds(c.id) }))
      },
      boards: async (viewer) => {
        // The form's board list (and the check of a chosen board) may be a second old, like the Archiver's:
        // read fresh, the boards cost every search a query.
        const tree = await app.forum.boardTree(app.clock.now(), undefined, { boardsMaxAgeMs: SEARCH_BOARDS_MAX_AGE_MS })
        return tree.visibleBoardIds(viewer).map((id) => ({ id, name: tree.get(id)?.name ?? '' }))
      }
    }
  })
}, { name: 'search-pages', dependencies: ['search', 'portal', 'forum', 'settings', 'clock', 'auth', 'view', 'security'] })
