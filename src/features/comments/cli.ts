import type { Knex } from 'knex'
import type { CliCommands } from '../../cli/command'
import { portalService } from '../portal'
import { commentsRepository } from './repository'

/** Comment commands of `npm run cli`. */

export interface DriftReport { checked: number, drifted: Array<{ id: number, stored: number, actual: number }> }

/**
 * Recomputes every article's comment_count from its visible comments, in batches by id.
 * With `fix` false only reports. A comment posted during the run is counted by its own transaction
 * (an increment), so the setter only ever writes a count that was true at its batch's read.
 */
export async function reconcileCommentCounts (knex: Knex, fix: boolean, batchSize = 500): Promise<DriftReport> {
  const repo = commentsRepository(knex)
  // The counters are the portal's (articles.comment_count); the rows they count are ours.
  const portal = portalService({ db: knex, nowMs: () => Date.now() })
  const report: DriftReport = { checked: 0, drifted: [] }
  let afterId = 0
  for (;;) {
    const articles = await portal.commentCountsAfter(afterId, batchSize)
    const last = articles[articles.length - 1]
    if (last === undefined) break
    const actual = await repo.visibleCountsFor(articles.map((a) => a.id))
    report.checked += articles.length
    for (const a of articles) {
      const d = { id: a.id, stored: a.comment_count, actual: actual.get(a.id) ?? 0 }
      if (d.stored === d.actual) continue
      report.drifted.push(d)
      if (fix) await portal.setCommentCount(d.id, d.actual)
    }
    afterId = last.id
  }
  return report
}

export const commentCommands: CliCommands = {
  'comments:reconcile': {
    summary: 'recompute articles.comment_count from visible comments and report drift (--dry-run: report only)',
    options: { 'dry-run': { type: 'boolean' } },
    async run ({ knex, flags }) {
      const fix = flags['dry-run'] !== true
      const report = await reconcileCommentCounts(knex, fix)
      for (const d of report.drifted) console.log(`article ${d.id}: comment_count ${d.stored} → ${d.actual}`)
      console.log(report.drifted.length === 0
        ? `no drift: ${report.checked} article(s) checked, every comment_count matches its visible comments`
        : `${report.drifted.length} article(s) drifted${fix ? ', fixed' : ' (dry run, nothing changed)'}`)
      return 0
    }
  }
}
