import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import adminWordsRoutes from './words-routes'
import adminReactionsRoutes from './reactions-routes'
import adminLogRoutes from './log-routes'

/**
 * The admin centre's pages over other features' services: 屏蔽词 (`app.antiAbuse`, with text
 * import/export), 表态 kinds (`app.reactions.admin`) and 操作记录 (`app.moderation`'s audit log).
 */
export default fp<{ config: AppConfig }>(async function adminFeature (app) {
  await app.register(adminWordsRoutes)
  await app.register(adminReactionsRoutes)
  await app.register(adminLogRoutes)
}, { name: 'admin', dependencies: ['settings', 'antiabuse', 'auth', 'view', 'moderation', 'reactions'] })
