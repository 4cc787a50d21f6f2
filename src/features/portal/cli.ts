import type { CliCommands } from '../../cli/command'
import { portalService } from './service'

/** Portal commands of `npm run cli`. */
export const portalCommands: CliCommands = {
  'portal:render': {
    summary: 'render every article body stored without a current render (before stored renders, or after RENDERER_VERSION changed)',
    async run ({ knex }) {
      const rendered = await portalService({ db: knex, nowMs: () => Date.now() }).renderStale()
      console.log(`rendered ${rendered} article bodies`)
      return 0
    }
  }
}
