import path from 'node:path'
import Piscina from 'piscina'
import { relevanceScore, SEARCH_CANDIDATES } from '../../lib/search-rank'
import { candidateResult, type MatchFilter, type ResultRow, type SearchRepository } from './repository'

/** A query's ranked matches: the ids in order (at most SEARCH_CANDIDATES), and how many matched (one more than are ranked tells that more matched). */
export interface Ranking { ids: number[], total: number }

/** Which of the ranked results the search will show (start: index in the ranking): handed back with the ranking. */
export interface ShownSlice { start: number, count: number }

/**
 * A ranking as a search just made it, with the rows of the slice it will show: read by the same query
 * (candidateResult), so the page needs no second read of them. Only the ranking is kept.
 */
export interface RankedSearch { ranking: Ranking, shown: ResultRow[] }

/** Finds and ranks a query's matches. null: the database gave up on the query (too broad). */
export interface Ranker {
  rank: (filter: MatchFilter, words: readonly string[], shown: ShownSlice) => Promise<RankedSearch | null>
  /** The threads it runs in besides the app's (0 in process). */
  threads: () => number
  close: () => Promise<void>
}

/** The engine's newest candidates, ranked here (src/lib/search-rank.ts). */
export async function rankMatches (repo: SearchRepository, filter: MatchFilter, words: readonly string[], shown: ShownSlice): Promise<RankedSearch | null> {
  // One more than are ranked: it tells that more matched than the pages show (`capped`).
  const candidates = await repo.candidates(filter, SEARCH_CANDIDATES + 1)
  if (candidates === null) return null
  const ranked = candidates.slice(0, SEARCH_CANDIDATES)
    .map((row) => {
      const [id, kind, createdAt, title, body, bodyLength] = row
      return { row, id: Number(id), createdAt: Number(createdAt), score: relevanceScore({ title, ownsTitle: kind !== 'post', body, bodyLength: Number(bodyLength) }, words) }
    })
    .sort((a, b) => b.score - a.score || b.createdAt - a.createdAt || b.id - a.id)
  return {
    ranking: { ids: ranked.map((c) => c.id), total: candidates.length },
    shown: ranked.slice(shown.start, shown.start + shown.count).map((c) => candidateResult(c.row))
  }
}

/** MariaDB/MySQL (and tests that hand in a repository): the query is I/O to the server, the ranking a fraction of a millisecond. */
export function inProcessRanker (repo: SearchRepository): Ranker {
  return { rank: async (filter, words, shown) => await rankMatches(repo, filter, words, shown), threads: () => 0, close: async () => {} }
}

/** What the worker is asked (src/features/search/rank-worker.ts). */
export interface RankTask { filter: MatchFilter, words: readonly string[], shown: ShownSlice }

/**
 * SQLite: the candidates are read and ranked in a worker thread, on its own connection to the same file.
 * better-sqlite3 is synchronous: in the app's thread a cold search held the event loop for its 1.5–2 ms
 * of SQLite and 0.3 ms of ranking, and every page request of the process waited behind it (with 16
 * searches at once, behind all of them). In the worker, the thread that serves pages only sends the
 * query and gets the ids back. WAL lets the worker read while the app writes; each of its statements sees
 * what was committed before it began, as the app's own connection would.
 *
 * One thread: a second would compete with the app's thread for the same cores. The thread starts with
 * the first search (not at boot: the CLI and most test apps never search) and stays.
 */
export function workerRanker (filename: string): Ranker & { readonly pool: Piscina<RankTask, RankedSearch | null> } {
  const workerFile = path.join(__dirname, `rank-worker${path.extname(__filename)}`)
  const pool = new Piscina<RankTask, RankedSearch | null>({
    filename: workerFile,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: { filename },
    // Only the TypeScript loader when the app runs from source (`node --import tsx`; Jest has no loader
    // for threads): not the process's other flags, such as the bench's event-loop probe (--import), which
    // listens for a signal a thread cannot have, or --cpu-prof. No resourceLimits: its heap follows the
    // process's V8 flags (`npm start`'s), which apply to every thread; a young generation of 8 MB of its
    // own, tried first, made each search about 1 ms slower than in the app's thread.
    execArgv: workerFile.endsWith('.ts') ? ['--import', 'tsx'] : []
  })
  return {
    pool,
    rank: async (filter, words, shown) => await pool.run({ filter, words, shown }),
    threads: () => pool.threads.length,
    close: async () => { await pool.close() }
  }
}
