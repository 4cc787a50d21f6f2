import fp from 'fastify-plugin'
import adminWordsRoutes from './words-routes'

/**
 * The admin centre (管理中心). Today one page, the 屏蔽词 list, over `app.antiAbuse`; the admin
 * centre's next pages (boards, categories, settings) register here.
 */
export default fp(async function adminFeature (app) {
  await app.register(adminWordsRoutes)
}, { name: 'admin', dependencies: ['antiabuse', 'auth', 'view'] })
