import fp from 'fastify-plugin'
import { structureService, type StructureService } from './service'
import categoriesRoutes from './categories-routes'
import boardsRoutes from './boards-routes'

/**
 * The site's structure from the web: 门户频道 (/admin/categories) and 论坛版块 (/admin/boards), for
 * admins. The rules and transactions are the portal's and the forum's (app.portal.categoriesAdmin,
 * app.forum.boardsAdmin); this feature turns forms into their calls and adds who did it to each
 * change's audit row (app.adminAudit).
 */

declare module 'fastify' {
  interface FastifyInstance {
    structure: StructureService
  }
}

export default fp(async (app) => {
  const service = structureService({ categories: app.portal.categoriesAdmin, boards: app.forum.boardsAdmin, audit: app.adminAudit })
  app.decorate('structure', service)
  await app.register(categoriesRoutes, { service })
  await app.register(boardsRoutes, { service })
}, { name: 'structure', dependencies: ['db', 'clock', 'auth', 'view', 'portal', 'forum', 'site-admin'] })
