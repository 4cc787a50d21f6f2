import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import discuzRoutes from './routes'

export { runDiscuzImport, targetState, type DiscuzImportOptions, type DiscuzImportSummary } from './service'
export { openDiscuzSource, type DiscuzSource } from './source'

/**
 * What stays of a Discuz site after `npm run cli -- import:discuz` (cli.ts, service.ts): its attachment
 * URLs, and a helpful 404 for its scripts that have no page here. The importer itself runs from the CLI,
 * never in the web process.
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  await app.register(discuzRoutes, { uploadsDir: opts.config.uploadsDir })
}, { name: 'discuz-import', dependencies: ['errors'] })
