import type { CliCommands } from '../../cli/command'
import { reactionsRepository } from './repository'

/** `reactions:reconcile`: recompute articles.react_* from the reaction rows and report any drift. */
export const reactionCommands: CliCommands = {
  'reactions:reconcile': {
    summary: 'recompute the reaction counters from the rows and report drift (--dry-run: report only)',
    options: { 'dry-run': { type: 'boolean' } },
    async run ({ knex, flags }) {
      const repo = reactionsRepository(knex)
      const drift = await repo.drift()
      for (const d of drift) console.log(`article ${d.id} ${d.key}: counter ${d.stored}, rows ${d.actual}`)
      if (flags['dry-run'] !== true) {
        for (const d of drift) await repo.setCounter(d.id, d.key, d.actual)
      }
      console.log(drift.length === 0 ? 'reaction counters match their rows' : `${drift.length} counter(s) drifted${flags['dry-run'] === true ? '' : ', fixed'}`)
      return 0
    }
  }
}
