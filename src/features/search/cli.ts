import type { Knex } from 'knex'
import type { CliCommands } from '../../cli/command'
import { searchRepository, type SearchDocument, type SearchKind } from './repository'
import { indexedRow } from './service'

/**
 * `npm run cli -- search:reindex [--type article|thread|post] [--batch N]`: rebuilds the index from the
 * content, in batches of one transaction each, with a progress bar on stderr. The owning features give
 * their documents (scripts/cli.ts hands them in: this feature imports neither the portal nor the forum).
 */

export interface SearchSource {
  kind: SearchKind
  /** How many items there are (for the bar). */
  count: (knex: Knex) => Promise<number>
  /** Up to `limit` items with an id above `afterId`, by id: each readable one as a document, the others as null. */
  batch: (knex: Knex, afterId: number, limit: number, now: number) => Promise<Array<{ id: number, doc: SearchDocument | null }>>
}

function bar (label: string, done: number, total: number): string {
  const width = 30
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width))
  return `${label.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

export async function reindex (knex: Knex, sources: readonly SearchSource[], batchSize: number, progress: (line: string, last: boolean) => void): Promise<Record<string, number>> {
  const repo = searchRepository(knex)
  const indexed: Record<string, number> = {}
  const now = Math.floor(Date.now() / 1000)
  for (const source of sources) {
    const total = await source.count(knex)
    await repo.removeKind(source.kind)
    let afterId = 0
    let done = 0
    let kept = 0
    progress(bar(source.kind, 0, total), total === 0)
    for (;;) {
      const items = await source.batch(knex, afterId, batchSize, now)
      if (items.length === 0) break
      await knex.transaction(async (trx) => {
        for (const item of items) if (item.doc !== null) await repo.upsert(trx, indexedRow(item.doc))
      })
      kept += items.filter((i) => i.doc !== null).length
      done += items.length
      afterId = items[items.length - 1]?.id ?? afterId
      progress(bar(source.kind, done, total), done >= total)
    }
    if (done < total) progress(bar(source.kind, done, done), true)
    indexed[source.kind] = kept
  }
  return indexed
}

export function searchCommands (sources: readonly SearchSource[]): CliCommands {
  return {
    'search:reindex': {
      summary: 'rebuild the search index from the content in batches (--type article|thread|post, --batch N, default 500)',
      options: { type: { type: 'string' }, batch: { type: 'string' } },
      async run ({ knex, flags }) {
        const type = flags.type
        const chosen = type === undefined ? sources : sources.filter((s) => s.kind === type)
        if (chosen.length === 0) {
          console.error('--type must be article, thread or post')
          return 2
        }
        const rawBatch = flags.batch ?? '500'
        if (typeof rawBatch !== 'string' || !/^\d{1,5}$/.test(rawBatch) || Number(rawBatch) < 1) {
          console.error('--batch must be a whole number from 1 to 99999')
          return 2
        }
        const started = Date.now()
        let last = ''
        const indexed = await reindex(knex, chosen, Number(rawBatch), (line, end) => {
          if (line !== last) process.stderr.write(`\r${line}`)
          if (end) process.stderr.write('\n')
          last = line
        })
        const stats = await searchRepository(knex).stats()
        console.log(`indexed ${JSON.stringify(indexed)} in ${((Date.now() - started) / 1000).toFixed(1)} s; index ${stats.bytes === null ? 'size unknown' : `${(stats.bytes / 1048576).toFixed(1)} MB`}`)
        return 0
      }
    }
  }
}
