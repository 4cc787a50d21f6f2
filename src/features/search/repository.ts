import type { Knex } from 'knex'
import { SCORED_BODY_CHARS } from '../../lib/search-rank'

/**
 * The search index's queries: the rows of `search_documents` and the engine behind them, chosen by the
 * database (migrations/20261130170000_create_search_documents.ts):
 * - SQLite: FTS5 `search_fts` (external content over search_documents, kept by triggers);
 * - MariaDB/MySQL: InnoDB FULLTEXT in boolean mode.
 * Either finds the matches; the app ranks the newest SEARCH_CANDIDATES of them (src/lib/search-rank.ts says why).
 * Both get the query as tokens of [0-9a-z] only (src/lib/search-text.ts), quoted for FTS5: no input can
 * reach either engine's operator syntax.
 */

export type SearchKind = 'article' | 'thread' | 'post'
export type Audience = 'all' | 'members'

/** What a feature hands the index for one item it owns. */
export interface SearchDocument {
  kind: SearchKind
  refId: number
  /** The thread of a reply; null otherwise. */
  parentId: number | null
  /** Category (article) or board (thread, reply). */
  scopeId: number
  audience: Audience
  /** false: a reply whose thread is not visible. */
  listed: boolean
  authorId: number
  createdAt: number
  title: string
  /** Plain text (no markup). */
  body: string
}

/**
 * What the ranking reads of each candidate, as an array (`rowsAsArray`, src/db/knex.ts): a row object per
 * candidate cost a sixth of SQLite's query. [id, kind, created_at, title, the body's opening
 * (SCORED_BODY_CHARS characters), the body's length], then what a result shows besides (ref_id,
 * parent_id, scope_id, author_id): the page a search ranks is shown from its candidates, without reading
 * its ten rows again (`results` is for pages of a kept ranking).
 */
export type CandidateRow = [id: number, kind: SearchKind, createdAt: number, title: string, body: string, bodyLength: number,
  refId: number, parentId: number | null, scopeId: number, authorId: number]

/** A candidate as a result on the page (it passed the filter as the search ran). */
export function candidateResult ([id, kind, createdAt, title, body, , refId, parentId, scopeId, authorId]: CandidateRow): ResultRow {
  return { id, kind, ref_id: refId, parent_id: parentId, scope_id: scopeId, author_id: authorId, created_at: createdAt, title, body }
}

/** A result shown on the page. */
export interface ResultRow {
  id: number
  kind: SearchKind
  ref_id: number
  parent_id: number | null
  scope_id: number
  author_id: number
  created_at: number
  title: string
  /** The body's opening (SCORED_BODY_CHARS characters), for the snippet. */
  body: string
}

export interface MatchFilter {
  terms: readonly string[]
  kinds: readonly SearchKind[]
  audiences: readonly Audience[]
  scopeIds?: readonly number[]
  authorId?: number
  since?: number
  until: number
}

export interface IndexedRow {
  kind: SearchKind
  ref_id: number
  parent_id: number | null
  scope_id: number
  audience: Audience
  listed: boolean
  author_id: number
  created_at: number
  title: string
  body: string
  title_terms: string
  body_terms: string
}

/**
 * The candidates carry what the ranking reads, and besides only four numbers (CandidateRow, in that
 * order). Reading a row's text columns into JavaScript is most of a search's SQLite time: on the bench's
 * large set, 501 candidates of a common word took 0.2–0.3 ms to find in FTS5 and 0.5 ms with the join and
 * filters, but 1.8–2.8 ms with every column a page shows (the whole body among them). A page's ten results
 * take the rest (the body's opening for the snippet) from the candidates, or from `results` for a page
 * of a kept ranking.
 */
const CANDIDATE_COLUMNS = ['d.id', 'd.kind', 'd.created_at', 'd.title']
const CANDIDATE_RESULT_COLUMNS = ['d.ref_id', 'd.parent_id', 'd.scope_id', 'd.author_id']
const RESULT_COLUMNS = ['d.id', 'd.kind', 'd.ref_id', 'd.parent_id', 'd.scope_id', 'd.author_id', 'd.created_at', 'd.title']

/**
 * The longest a MariaDB/MySQL search may run (ms). InnoDB FULLTEXT reads a term's whole posting list
 * whatever the LIMIT: on the bench's large set (1.1 million documents) a word in 470,000 of them took
 * seconds. Past this the server stops the statement and the visitor is asked to narrow the search. InnoDB
 * notices the limit only between phases of its FULLTEXT work, measured 0.5–1.4 s after a 0.4 s limit on the
 * large set, so the search query's own client timeout is SEARCH_CLIENT_TIMEOUT_MS, not DATABASE_TIMEOUT_MS:
 * that one's expiry closes the connection and fails the process's other queries for a moment
 * (src/db/knex.ts), which one broad search must never do to the site.
 */
export const SEARCH_STATEMENT_MS = 250

/**
 * MariaDB/MySQL: how many of the newest rows a search reads in id order before it asks FULLTEXT. A word
 * common enough to stall InnoDB FULLTEXT (its whole posting list is built before any LIMIT) has its newest
 * 500 matches among the newest rows; a rare word does not, and FULLTEXT answers it quickly. Either way the
 * candidates are the newest matches, as FTS5's on SQLite (docs/search.md, "very common words").
 */
export const RECENT_SCAN_ROWS = 20_000

/** The search query's client-side timeout: the server's own limit above is meant to fire first. */
export const SEARCH_CLIENT_TIMEOUT_MS = 5000

/**
 * The server gave up on a search too broad for it: stopped at its time limit (MariaDB's
 * max_statement_time, MySQL's MAX_EXECUTION_TIME), or InnoDB's FULLTEXT result outgrew
 * innodb_ft_result_cache_limit (a pair of common words on the large set: it was a 500 before).
 */
function isTooBroad (err: unknown): boolean {
  const { code, errno } = (err ?? {}) as { code?: unknown, errno?: unknown }
  // mysql2 names MySQL's 3024 but not MariaDB's 1969 (its code comes back undefined).
  return code === 'ER_STATEMENT_TIMEOUT' || code === 'ER_QUERY_TIMEOUT' || errno === 1969 || errno === 3024 ||
    code === 'HA_ERR_FTS_EXCEED_RESULT_CACHE_LIMIT' || errno === 188
}

/** The filter of `filtered`, for rows read by id. */
function passes (row: Pick<ResultRow, 'kind' | 'scope_id' | 'author_id' | 'created_at'> & { audience: Audience, listed: boolean | number }, f: MatchFilter): boolean {
  const createdAt = Number(row.created_at)
  return Boolean(row.listed) && f.kinds.includes(row.kind) && f.audiences.includes(row.audience) && createdAt <= f.until &&
    (f.scopeIds === undefined || f.scopeIds.includes(Number(row.scope_id))) &&
    (f.authorId === undefined || Number(row.author_id) === f.authorId) &&
    (f.since === undefined || createdAt >= f.since)
}

export function searchRepository (db: Knex, options: { statementMs?: number, recentScanRows?: number } = {}) {
  const mysql = db.client.config.client === 'mysql2'
  const statementMs = options.statementMs ?? SEARCH_STATEMENT_MS
  const recentScanRows = options.recentScanRows ?? RECENT_SCAN_ROWS
  let mariadb: Promise<boolean> | null = null
  const isMariaDb = async (): Promise<boolean> => await (mariadb ??= db.raw<[Array<{ v: string }>]>('SELECT VERSION() AS v').then(([rows]) => /mariadb/i.test(rows?.[0]?.v ?? '')))

  /** Runs a MariaDB/MySQL SELECT under the server's own statement time limit; null when the server gave up on it (isTooBroad). */
  async function limited<T> (query: Knex.QueryBuilder, options: { rowsAsArray?: boolean } = {}): Promise<T[] | null> {
    const { sql, bindings } = query.toSQL().toNative()
    const bounded = await isMariaDb()
      ? `SET STATEMENT max_statement_time = ${(statementMs / 1000).toFixed(6)} FOR ${sql}`
      : sql.replace(/^select /i, `select /*+ MAX_EXECUTION_TIME(${Math.max(1, Math.round(statementMs))}) */ `)
    try {
      const [rows] = await db.raw<[T[]]>(bounded, bindings as Knex.ValueDict[]).options({ ...options, timeout: SEARCH_CLIENT_TIMEOUT_MS })
      return rows ?? []
    } catch (err) {
      if (isTooBroad(err)) return null
      throw err
    }
  }

  function filtered (q: Knex.QueryBuilder, f: MatchFilter): Knex.QueryBuilder {
    void q.where('d.listed', true).whereIn('d.kind', [...f.kinds]).whereIn('d.audience', [...f.audiences])
      .andWhere('d.created_at', '<=', f.until)
    if (f.scopeIds !== undefined) void q.whereIn('d.scope_id', [...f.scopeIds])
    if (f.authorId !== undefined) void q.andWhere('d.author_id', f.authorId)
    if (f.since !== undefined) void q.andWhere('d.created_at', '>=', f.since)
    return q
  }

  /** The matching rows, joined to the engine: FTS5's MATCH or InnoDB's MATCH … AGAINST (every term required). */
  function matching (f: MatchFilter): Knex.QueryBuilder {
    if (mysql) {
      const everyTerm: string = f.terms.map((t) => `+${t}`).join(' ')
      return filtered(db('search_documents as d').whereRaw('MATCH(d.title_terms, d.body_terms) AGAINST (? IN BOOLEAN MODE)', [everyTerm]), f)
    }
    const expression = f.terms.map((t) => `"${t}"`).join(' AND ')
    return filtered(db('search_fts').join('search_documents as d', 'd.id', 'search_fts.rowid').whereRaw('search_fts MATCH ?', [expression]), f)
  }

  /**
   * MariaDB/MySQL: the newest rows (at most recentScanRows of them, in primary-key order) that hold every
   * term, found by reading the token columns as the FULLTEXT parser splits them (tokens are [0-9a-z],
   * separated by single spaces: ' token ' is found in ' title_terms body_terms ' exactly where a column
   * holds that token). The same rows FULLTEXT matches.
   * The newest id is a subquery of the same statement (the optimizer reads it from the index end once, as
   * a constant, and scans the primary key's range): a separate MAX(id) query cost every cold search a
   * round trip.
   */
  function recentMatching (f: MatchFilter): Knex.QueryBuilder {
    // FORCE INDEX: the plan is the primary key's range either way, but the optimizer weighed the other
    // indexes for the filter's columns first: 0.1 ms of each 1.7–2.2 ms scan on the large set.
    const q = filtered(db.from(db.raw('?? AS d FORCE INDEX (PRIMARY)', ['search_documents'])).where('d.id', '>', db.raw('(SELECT CAST(MAX(id) AS SIGNED) FROM search_documents) - ?', [recentScanRows])), f)
    for (const term of f.terms) {
      if (!/^[0-9a-z]+$/.test(term)) throw new Error(`search term is not a token: ${term}`)
      // Both columns in one string: a token between spaces lies in one of them. LOCATE of a binary needle
      // compares bytes; it cost the server under half of what `LIKE '% token %'` did per row (docs/search.md).
      void q.whereRaw("LOCATE(CAST(? AS BINARY), CONCAT(' ', d.title_terms, ' ', d.body_terms, ' ')) > 0", [` ${term} `])
    }
    return q
  }

  return {
    /**
     * The newest `limit` matches (by index row: the order the engine reads its posting lists in, so a
     * common word stops after `limit` rows instead of scoring all of them), each with the opening of its
     * body and the body's length for the app's ranking (src/lib/search-rank.ts). null: MariaDB/MySQL
     * stopped the search at SEARCH_STATEMENT_MS (too common a word for its FULLTEXT index).
     */
    async candidates (f: MatchFilter, limit: number): Promise<CandidateRow[] | null> {
      const bodyColumns = mysql
        ? db.raw('SUBSTRING(d.body, 1, ?) AS body, CHAR_LENGTH(d.body) AS body_length', [SCORED_BODY_CHARS])
        : db.raw('substr(d.body, 1, ?) AS body, length(d.body) AS body_length', [SCORED_BODY_CHARS])
      // FTS5 stops after `limit` rows in rowid order: no bound needed.
      if (!mysql) return await matching(f).select(...CANDIDATE_COLUMNS, bodyColumns, ...CANDIDATE_RESULT_COLUMNS).orderBy('search_fts.rowid', 'desc').limit(limit).options({ rowsAsArray: true })
      // InnoDB FULLTEXT does not stop early: the newest rows first, where a common word's matches are.
      // Found `limit` there: they are the newest matches. Fewer: the word is rarer, FULLTEXT answers it.
      if (recentScanRows > 0 && f.terms.length > 0) {
        const recent = await limited<CandidateRow>(recentMatching(f).select(...CANDIDATE_COLUMNS, bodyColumns, ...CANDIDATE_RESULT_COLUMNS).orderBy('d.id', 'desc').limit(limit), { rowsAsArray: true })
        if (recent === null || recent.length >= limit) return recent
      }
      // InnoDB may not finish a common word at all (SEARCH_STATEMENT_MS).
      return await limited<CandidateRow>(matching(f).select(...CANDIDATE_COLUMNS, bodyColumns, ...CANDIDATE_RESULT_COLUMNS).orderBy('d.id', 'desc').limit(limit), { rowsAsArray: true })
    },

    /**
     * The rows of these ids that the filter still lets through (the engine is not asked again): a page of
     * results ranked earlier (a cached ranking, src/features/search/service.ts) shows nothing that has
     * since been deleted, hidden, moved out of the reader's reach or out of the time range.
     */
    async results (ids: readonly number[], f: MatchFilter): Promise<ResultRow[]> {
      if (ids.length === 0) return []
      const opening = db.raw(mysql ? 'SUBSTRING(d.body, 1, ?) AS body' : 'substr(d.body, 1, ?) AS body', [SCORED_BODY_CHARS])
      // By primary key only, the filter applied here: given the filter's columns too, SQLite (no ANALYZE
      // statistics) chose the (kind, scope_id) index and read every row of the kinds (90 ms on the large set).
      const rows = await db('search_documents as d').whereIn('d.id', [...ids]).select<Array<ResultRow & { audience: Audience, listed: boolean | number }>>(...RESULT_COLUMNS, 'd.audience', 'd.listed', opening)
      return rows.filter((row) => passes(row, f))
    },

    async upsert (trx: Knex.Transaction, row: IndexedRow): Promise<void> {
      await trx('search_documents').insert(row).onConflict(['kind', 'ref_id']).merge()
    },

    async remove (trx: Knex.Transaction, kind: SearchKind, refId: number): Promise<void> {
      await trx('search_documents').where({ kind, ref_id: refId }).delete()
    },

    async updateChildren (trx: Knex.Transaction, kind: SearchKind, parentId: number, fields: Partial<Pick<IndexedRow, 'title' | 'scope_id' | 'audience' | 'listed'>>): Promise<void> {
      await trx('search_documents').where({ kind, parent_id: parentId }).update(fields)
    },

    async updateScope (trx: Knex.Transaction, kinds: readonly SearchKind[], scopeId: number, fields: Partial<Pick<IndexedRow, 'scope_id' | 'audience'>>): Promise<void> {
      // One statement per kind keeps each on the (kind, scope_id) index.
      for (const kind of kinds) await trx('search_documents').where({ kind, scope_id: scopeId }).update(fields)
    },

    async removeKind (kind: SearchKind): Promise<number> {
      return await db('search_documents').where({ kind }).delete()
    },

    /** Rows per kind and the bytes the table and its indexes take (MariaDB/MySQL: information_schema; SQLite: dbstat when compiled in). */
    async stats (): Promise<{ rows: Record<string, number>, bytes: number | null }> {
      const counts = await db('search_documents').groupBy('kind').select<Array<{ kind: string, n: number | string }>>('kind', db.raw('COUNT(*) as n'))
      const rows = Object.fromEntries(counts.map((c) => [c.kind, Number(c.n)]))
      let bytes: number | null = null
      try {
        if (mysql) {
          const [result] = await db.raw<[Array<{ bytes: number | string }>]>("SELECT data_length + index_length AS bytes FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'search_documents'")
          bytes = Number(result?.[0]?.bytes ?? 0)
          // The FULLTEXT index lives in its own FTS_* tablespaces, not in index_length.
          const [fts] = await db.raw<[Array<{ bytes: number | string }>]>("SELECT COALESCE(SUM(file_size), 0) AS bytes FROM information_schema.innodb_sys_tablespaces WHERE name LIKE CONCAT(DATABASE(), '/fts_%')")
          bytes += Number(fts?.[0]?.bytes ?? 0)
        } else {
          const result = await db.raw<Array<{ bytes: number | null }>>("SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'search_%' OR name LIKE 'sqlite_autoindex_search_%'")
          bytes = Number(result[0]?.bytes ?? 0)
        }
      } catch {
        bytes = null
      }
      return { rows, bytes }
    }
  }
}

export type SearchRepository = ReturnType<typeof searchRepository>
