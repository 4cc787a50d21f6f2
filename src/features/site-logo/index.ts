import fp from 'fastify-plugin'
import { siteLogoService, type SiteLogoService } from './service'
import routes from './routes'

/** 站点 Logo (站点设置): upload a header logo through the upload service, or go back to the default one. */

declare module 'fastify' {
  interface FastifyInstance {
    siteLogo: SiteLogoService
  }
}

export default fp(async (app) => {
  const service = siteLogoService({ db: app.db, audit: app.adminAudit, settingsChanged: () => { app.settings.invalidate() } })
  app.decorate('siteLogo', service)
  await app.register(routes, { service })
}, { name: 'site-logo', dependencies: ['db', 'clock', 'settings', 'auth', 'view', 'site-admin', 'uploads'] })
