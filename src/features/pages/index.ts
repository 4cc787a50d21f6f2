import fp from 'fastify-plugin'
import { pagesRepository } from './repository'
import { pagesService, type PagesService } from './service'
import routes from './routes'

/** 单页: static pages at /page/:slug (关于我们, 帮助中心 …), written in Markdown by admins at /admin/pages. */

declare module 'fastify' {
  interface FastifyInstance {
    pages: PagesService
  }
}

export { seedDemoPages } from './demo'

export default fp(async (app) => {
  const service = pagesService({ db: app.db, repo: pagesRepository(app.db), audit: app.adminAudit })
  app.decorate('pages', service)
  await app.register(routes, { service })
}, { name: 'pages', dependencies: ['db', 'clock', 'auth', 'view', 'site-admin'] })
