import { workerData } from 'node:worker_threads'
import { createKnex } from '../../db/knex'
import { searchRepository } from './repository'
import { rankMatches, type RankTask, type RankedSearch } from './ranker'

/**
 * The search's worker thread on SQLite (workerRanker, src/features/search/ranker.ts): its own connection
 * to the app's database file, opened once, and the same query and ranking the app's thread would run.
 */
const { filename } = workerData as { filename: string }
const repo = searchRepository(createKnex({ client: 'sqlite', filename }))

export default async function rank (task: RankTask): Promise<RankedSearch | null> {
  return await rankMatches(repo, task.filter, task.words, task.shown)
}
