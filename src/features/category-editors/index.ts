import fp from 'fastify-plugin'
import { categoryEditorsService, type CategoryEditorsService } from './service'

/**
 * 频道编辑 (per-category editors) in the admin centre: `app.categoryEditors` lists, grants and revokes a
 * category's editors. The section and its forms sit on the category edit page, whose routes
 * (src/features/structure/categories-routes.ts) register ./routes.ts beside their own.
 */

declare module 'fastify' {
  interface FastifyInstance {
    categoryEditors: CategoryEditorsService
  }
}

export default fp(async function categoryEditorsFeature (app) {
  app.decorate('categoryEditors', categoryEditorsService({ db: app.db, publishing: app.publishing, audit: app.adminAudit }))
}, { name: 'category-editors', dependencies: ['db', 'site-admin', 'portal'] })

export { categoryEditorsService, categoryEditorMessages, type CategoryEditorsService } from './service'
export { default as categoryEditorsRoutes } from './routes'
export type { CategoryEditorRow } from './repository'
