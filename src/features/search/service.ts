import type { Knex } from 'knex'
import { highlightWords, indexText, queryTerms, snippet, type SnippetPart } from '../../lib/search-text'
import { MicroCache } from '../../lib/micro-cache'
import { Slots } from '../../lib/slots'
import type { Audience, IndexedRow, MatchFilter, ResultRow, SearchDocument, SearchKind, SearchRepository } from './repository'
import { inProcessRanker, type Ranker, type Ranking } from './ranker'

/**
 * 搜索: the index other features write to (in their own transactions) and the search readers run.
 * The interface (SearchIndex + search()) is what an external engine would implement; docs/search.md
 * gives the outbox contract for one.
 */

export const messages = {
  emptyQuery: '请输入搜索关键词',
  nothingSearchable: '关键词里没有可搜索的文字或数字，请换个词试试',
  tooLong: '关键词最多 40 个字',
  badType: '搜索类型只能是全部、文章、主题、回复或用户',
  badTime: '时间范围只能是一天、一周、一月或一年',
  badScope: '版块或分类编号有误',
  unknownAuthor: '没有找到这个作者',
  rateLimited: '搜索太频繁了，请一分钟后再试',
  tooBroad: '这个关键词太常见，一时找不完：请再加一个词，或按类型、版块、作者、时间缩小范围',
  busy: '搜索的人太多了，请稍后再试'
}

/**
 * Searches running against the database at once, per process. On MariaDB a broad search holds its
 * connection up to its statement limit (and InnoDB's lateness past it): the bench's 16 concurrent broad
 * searches took every pooled connection, page requests waited past DATABASE_TIMEOUT_MS, and the whole site
 * answered 503 (2,268 of 2,276 answers). Beyond this many, a search waits its turn (SEARCH_WAIT_MS) without
 * touching the pool; pages never wait for searches.
 */
export const MAX_CONCURRENT_SEARCHES = 2 as const

/**
 * How long a search waits for one of the MAX_CONCURRENT_SEARCHES, and how many may wait, before it is
 * told to come back (503, Retry-After). Refusing at once answered 3,290 of 4,385 cold searches at 16
 * connections with 503 on MariaDB once a search took milliseconds (the newest-rows scan): a short line
 * serves them all, and a crowd behind slow searches is still turned away within this time.
 */
export const SEARCH_WAIT_MS = 2000
export const SEARCHES_WAITING = 64

/**
 * How long a query's ranking is kept (per process), like Discuz's 搜索缓存: a reader paging through the
 * results, and other readers of the same words, are answered from it. A search ranks up to
 * SEARCH_CANDIDATES rows; a page cut from a kept ranking reads its ten rows by id. Writes through this process's
 * index forget every ranking at once; another process's new content shows within this time, and what it
 * deletes or hides never shows (the page's rows are read again with the filter).
 */
export const RANKING_CACHE_MS = 60_000
/** Rankings kept: each is at most SEARCH_CANDIDATES + 1 ids (about 4 KB). */
const RANKINGS_KEPT = 1000

export const RESULTS_PER_PAGE = 10
/** Relevance-ranked results page by OFFSET, so the pager stops here (500 results); a narrower query finds the rest. */
export const MAX_PAGES = 50
export const QUERY_MAX_LENGTH = 40
export const USER_RESULTS = 20

export const SEARCH_TYPES = ['all', 'article', 'thread', 'post', 'user'] as const
export type SearchType = typeof SEARCH_TYPES[number]
export const TIME_RANGES = { day: 86400, week: 7 * 86400, month: 30 * 86400, year: 365 * 86400 } as const
export type TimeRange = keyof typeof TIME_RANGES

/** What the owning features call, inside the transaction that changes the content. */
export interface SearchIndex {
  /** Adds or replaces one item (it is readable now). */
  put: (trx: Knex.Transaction, doc: SearchDocument) => Promise<void>
  /** Takes one item out (deleted, hidden, pending, or no longer readable by anyone). */
  remove: (trx: Knex.Transaction, kind: SearchKind, refId: number) => Promise<void>
  /** A thread's replies follow it: renamed, moved, hidden or shown again. */
  updateReplies: (trx: Knex.Transaction, threadId: number, fields: { title: string, scopeId: number, audience: Audience, listed: boolean }) => Promise<void>
  /** Every item of a board or category: who may read it changed, or its items moved to another scope. */
  updateScope: (trx: Knex.Transaction, kinds: readonly SearchKind[], scopeId: number, fields: { scopeId?: number, audience?: Audience }) => Promise<void>
}

export interface SearchRequest {
  q: string
  type: SearchType
  page: number
  /** A category with its sub-categories (articles) or a board (threads and replies). */
  scope?: { ids: readonly number[], kinds: readonly SearchKind[] }
  author?: string
  time?: TimeRange
  /** null: a guest (members-only boards are left out). */
  viewerId: number | null
  now: number
}

export interface SearchHitView {
  kind: SearchKind
  refId: number
  parentId: number | null
  scopeId: number
  authorId: number
  authorName: string
  createdAt: number
  title: string
  titleParts: SnippetPart[]
  snippet: SnippetPart[]
}

export interface MemberHit { id: number, username: string, createdAt: number, postCount: number }

export type SearchOutcome =
  | { kind: 'error', message: string }
  /** A valid query the database could not finish in time (MariaDB/MySQL): shown with 200, asking for a narrower one. */
  | { kind: 'tooBroad', message: string }
  /** MAX_CONCURRENT_SEARCHES running in this process and no turn within SEARCH_WAIT_MS: 503, ask again shortly. */
  | { kind: 'busy', message: string }
  | { kind: 'empty' }
  | { kind: 'content', hits: SearchHitView[], total: number, page: number, pageCount: number, capped: boolean }
  | { kind: 'members', members: MemberHit[] }

/** Member lookups the search needs (app.memberAdmin's, handed in: the members feature owns the table). */
export interface MemberDirectory {
  byNamePrefix: (prefix: string, limit: number) => Promise<MemberHit[]>
  namesOf: (ids: readonly number[]) => Promise<Map<number, string>>
}

const KINDS_OF: Record<Exclude<SearchType, 'user'>, SearchKind[]> = {
  all: ['article', 'thread', 'post'],
  article: ['article'],
  thread: ['thread'],
  post: ['post']
}

/** A title is cut to the column (191); a body to this many characters: the snippet and the terms come from the start of a long text. */
export const INDEXED_BODY_CHARS = 20_000

export function indexedRow (doc: SearchDocument): IndexedRow {
  const title = Array.from(doc.title).slice(0, 191).join('')
  const body = Array.from(doc.body).slice(0, INDEXED_BODY_CHARS).join('')
  return {
    kind: doc.kind,
    ref_id: doc.refId,
    parent_id: doc.parentId,
    scope_id: doc.scopeId,
    audience: doc.audience,
    listed: doc.listed,
    author_id: doc.authorId,
    created_at: doc.createdAt,
    title,
    body,
    // Replies carry their thread's title for display only: indexing it would rank every reply of a thread by its title.
    title_terms: doc.kind === 'post' ? '' : indexText(title),
    body_terms: indexText(body)
  }
}

export function searchService (deps: { repo: SearchRepository, members: MemberDirectory, ranker?: Ranker, maxConcurrent?: number, waitMs?: number, rankingCacheMs?: number }) {
  const { repo, members } = deps
  const ranker = deps.ranker ?? inProcessRanker(repo)
  const searching = new Slots(deps.maxConcurrent ?? MAX_CONCURRENT_SEARCHES, SEARCHES_WAITING, deps.waitMs ?? SEARCH_WAIT_MS)
  // null: the database gave up on the query (too broad): kept too, so a crowd asking for one very common
  // word on MariaDB costs the server one attempt a minute, not one each.
  const rankings = new MicroCache<Ranking | null>(deps.rankingCacheMs ?? RANKING_CACHE_MS, RANKINGS_KEPT)

  /**
   * A write through the index forgets every ranking, now and again when its transaction ends: a search
   * that read the rows before the commit must not keep them (MicroCache.clear also drops loads in flight).
   */
  function forgetRankings (trx: Knex.Transaction): void {
    rankings.clear()
    const forget = (): void => { rankings.clear() }
    trx.executionPromise?.then(forget, forget)
  }

  const index: SearchIndex = {
    put: async (trx, doc) => {
      forgetRankings(trx)
      await repo.upsert(trx, indexedRow(doc))
    },
    remove: async (trx, kind, refId) => {
      forgetRankings(trx)
      await repo.remove(trx, kind, refId)
    },
    updateReplies: async (trx, threadId, f) => {
      forgetRankings(trx)
      await repo.updateChildren(trx, 'post', threadId, { title: Array.from(f.title).slice(0, 191).join(''), scope_id: f.scopeId, audience: f.audience, listed: f.listed })
    },
    updateScope: async (trx, kinds, scopeId, f) => {
      const fields: { scope_id?: number, audience?: Audience } = {}
      if (f.scopeId !== undefined) fields.scope_id = f.scopeId
      if (f.audience !== undefined) fields.audience = f.audience
      if (Object.keys(fields).length === 0) return
      forgetRankings(trx)
      await repo.updateScope(trx, kinds, scopeId, fields)
    }
  }

  async function search (r: SearchRequest): Promise<SearchOutcome> {
    const q = r.q.trim()
    if (q === '') return { kind: 'empty' }
    if (Array.from(q).length > QUERY_MAX_LENGTH) return { kind: 'error', message: messages.tooLong }
    if (r.type === 'user') return { kind: 'members', members: await members.byNamePrefix(q, USER_RESULTS) }
    const terms = queryTerms(q)
    const kinds = KINDS_OF[r.type].filter((k) => r.scope === undefined || r.scope.kinds.includes(k))
    if (terms.length === 0) return { kind: 'error', message: messages.nothingSearchable }
    let authorId: number | undefined
    if (r.author !== undefined && r.author.trim() !== '') {
      const name = r.author.trim().toLowerCase()
      const found = (await members.byNamePrefix(r.author.trim(), USER_RESULTS)).find((m) => m.username.toLowerCase() === name)
      if (found === undefined) return { kind: 'error', message: messages.unknownAuthor }
      authorId = found.id
    }
    const filter: MatchFilter = {
      terms,
      kinds,
      // Pending, hidden and deleted content has no row at all; members-only boards' rows only for members.
      audiences: r.viewerId === null ? ['all'] : ['all', 'members'],
      scopeIds: r.scope?.ids,
      authorId,
      since: r.time !== undefined ? r.now - TIME_RANGES[r.time] : undefined,
      // A scheduled article is not found before its time.
      until: r.now
    }
    // A board searched for articles (or a category for replies) holds none.
    if (kinds.length === 0) return { kind: 'content', hits: [], total: 0, page: 1, pageCount: 1, capped: false }
    const cap = MAX_PAGES * RESULTS_PER_PAGE
    const words = highlightWords(q)
    // The ranking of a query is kept a while (RANKING_CACHE_MS): its next pages, and the next reader of
    // the same words, are cut from it without asking the engine again. The time bounds are not in the key
    // (they move every second): a kept ranking's page has its rows read again below, with the filter as it is now.
    const key = JSON.stringify([filter.terms, words, kinds, filter.audiences, filter.scopeIds ?? null, authorId ?? null, r.time ?? null])
    const nowMs = r.now * 1000
    let ranking = rankings.get(key, nowMs)
    // The asked page's rows, when this request ranked the query itself: read by the ranking's own query.
    let shown: ResultRow[] = []
    if (ranking === undefined) {
      if (!await searching.take()) return { kind: 'busy', message: messages.busy }
      try {
        ranking = await rankings.getOrLoad(key, nowMs, async () => {
          const ranked = await ranker.rank(filter, words, { start: (Math.max(1, r.page) - 1) * RESULTS_PER_PAGE, count: RESULTS_PER_PAGE })
          shown = ranked?.shown ?? []
          return ranked?.ranking ?? null
        })
      } finally {
        searching.release()
      }
    }
    if (ranking === null) return { kind: 'tooBroad', message: messages.tooBroad }
    const total = ranking.total
    const pageCount = Math.max(1, Math.min(MAX_PAGES, Math.ceil(total / RESULTS_PER_PAGE)))
    const page = Math.min(Math.max(1, r.page), pageCount)
    const pageIds = ranking.ids.slice((page - 1) * RESULTS_PER_PAGE, page * RESULTS_PER_PAGE)
    const fresh = new Map(shown.map((row) => [Number(row.id), row]))
    // A kept ranking's page (or one past the last page, moved back): read again, filtered as now, so a
    // result deleted, hidden or moved out of reach since the ranking is left out.
    const unread = pageIds.filter((id) => !fresh.has(id))
    if (unread.length > 0) for (const row of await repo.results(unread, filter)) fresh.set(Number(row.id), row)
    const rows = pageIds.flatMap((id) => fresh.get(id) ?? [])
    const names = await members.namesOf([...new Set(rows.map((row) => Number(row.author_id)))])
    const hits = rows.map((row): SearchHitView => ({
      kind: row.kind,
      refId: Number(row.ref_id),
      parentId: row.parent_id === null ? null : Number(row.parent_id),
      scopeId: Number(row.scope_id),
      authorId: Number(row.author_id),
      authorName: names.get(Number(row.author_id)) ?? '',
      createdAt: Number(row.created_at),
      title: row.title,
      titleParts: snippet(row.title, words, 191),
      snippet: snippet(row.body, words)
    }))
    return { kind: 'content', hits, total: Math.min(total, cap), page, pageCount, capped: total > cap }
  }

  return {
    index,
    search,
    /** Every row of a kind removed (search:reindex starts from nothing). */
    clear: async (kind: SearchKind): Promise<number> => {
      rankings.clear()
      return await repo.removeKind(kind)
    },
    stats: async () => await repo.stats(),
    /** Threads the ranking runs in besides the app's: 1 on SQLite once a search ran (workerRanker), 0 on MariaDB/MySQL. */
    rankingThreads: () => ranker.threads(),
    /** Stops the ranker's worker thread, if it has one (the app's onClose). */
    close: async () => { await ranker.close() }
  }
}

export type SearchService = ReturnType<typeof searchService>
