import type { Knex } from 'knex'
import type { CliCommands } from '../../cli/command'
import { portalService } from '../portal'
import { REACTION_KEYS, reactionsRepository, type ReactionKey } from './repository'

export interface ReactionDrift { id: number, key: ReactionKey, stored: number, actual: number }

const BATCH = 500

/**
 * Every article's reaction counters (the portal's columns) compared with its reaction rows (ours), in
 * batches by article id.
 */
export async function reactionDrift (knex: Knex): Promise<ReactionDrift[]> {
  const portal = portalService({ db: knex, nowMs: () => Date.now() })
  const repo = reactionsRepository(knex)
  const out: ReactionDrift[] = []
  let afterId = 0
  for (;;) {
    const articles = await portal.reactionCountsAfter(afterId, BATCH)
    const last = articles[articles.length - 1]
    if (last === undefined) return out
    const rows = await repo.countsFor(articles.map((a) => a.id))
    for (const a of articles) {
      for (const key of REACTION_KEYS) {
        const actual = rows.get(a.id)?.[key] ?? 0
        if (a.counters[key] !== actual) out.push({ id: a.id, key, stored: a.counters[key], actual })
      }
    }
    afterId = last.id
  }
}

/** `reactions:reconcile`: recompute articles.react_* from the reaction rows and report any drift. */
export const reactionCommands: CliCommands = {
  'reactions:reconcile': {
    summary: 'recompute the reaction counters from the rows and report drift (--dry-run: report only)',
    options: { 'dry-run': { type: 'boolean' } },
    async run ({ knex, flags }) {
      const drift = await reactionDrift(knex)
      for (const d of drift) console.log(`article ${d.id} ${d.key}: counter ${d.stored}, rows ${d.actual}`)
      if (flags['dry-run'] !== true) {
        const portal = portalService({ db: knex, nowMs: () => Date.now() })
        for (const d of drift) await portal.setReactionCount(d.id, d.key, d.actual)
      }
      console.log(drift.length === 0 ? 'reaction counters match their rows' : `${drift.length} counter(s) drifted${flags['dry-run'] === true ? '' : ', fixed'}`)
      return 0
    }
  }
}
