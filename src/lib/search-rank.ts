import { foldForWords } from './search-text'

/**
 * The relevance of one candidate document to a query's words, computed in the app for both databases.
 *
 * Why not the engine's own score: FTS5's bm25 and InnoDB's MATCH score weigh each term by how many
 * documents hold it, and both find that number by reading the term's whole posting list. For a common
 * word of a large site (a word in 470,000 of 1.1 million documents) that is 2 s of SQLite work on the
 * event loop per search, whatever the page or the filters. The repository therefore hands back at most
 * SEARCH_CANDIDATES matches (the newest indexed), and this score ranks them: BM25's term-frequency
 * saturation and length normalisation, the title weighted 4 : 1 over the body (a reply's borrowed thread title 1 : 1), without the document
 * frequency (all query words are required in every candidate, so it changes little among them).
 * The same formula on SQLite and MariaDB, so a query ranks the same on both.
 */

/** How many matches are ranked at most: what the 50 result pages can show (each 1,000 more cost about 3 ms of SQLite on the large set). */
export const SEARCH_CANDIDATES = 500

/** The body's first characters read for the score (a long article is judged by its opening). */
export const SCORED_BODY_CHARS = 4000

const K1 = 1.2
const B = 0.75
const TITLE_WEIGHT = 4
/** A reply carries its thread's title in the index (so a title word finds it), but the title is the thread's: it counts as body text does. */
const BORROWED_TITLE_WEIGHT = 1
/** Typical lengths (characters) the length normalisation compares with. */
const AVERAGE_TITLE = 24
const AVERAGE_BODY = 600

export interface RankCandidate {
  title: string
  /** false for a reply, whose title is its thread's. */
  ownsTitle: boolean
  /** The body's opening (at most SCORED_BODY_CHARS characters). */
  body: string
  /** The whole body's length, for the normalisation. */
  bodyLength: number
}

function occurrences (haystack: string, needle: string): number {
  if (needle === '') return 0
  let count = 0
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++
  return count
}

function saturated (tf: number, length: number, average: number): number {
  return tf === 0 ? 0 : tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
}

/** The score of a candidate for the query's words (normalised as the index normalises: highlightWords). */
export function relevanceScore (candidate: RankCandidate, words: readonly string[]): number {
  const title = foldForWords(candidate.title)
  const body = foldForWords(candidate.body)
  const titleWeight = candidate.ownsTitle ? TITLE_WEIGHT : BORROWED_TITLE_WEIGHT
  let score = 0
  for (const word of words) {
    score += titleWeight * saturated(occurrences(title, word), title.length, AVERAGE_TITLE)
    score += saturated(occurrences(body, word), Math.max(candidate.bodyLength, body.length), AVERAGE_BODY)
  }
  return score
}
