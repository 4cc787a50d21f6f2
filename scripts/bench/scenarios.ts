import type { Knex } from 'knex'
import { PHRASES } from '../../src/db/bulk-seed'

/**
 * The benchmark's scenarios. Adding one is a few lines: a name, whether it reads or writes, and
 * the requests (a path, or a function building each request so writes can rotate members).
 * `prepare` finds the ids a scenario needs in the seeded database; returning null skips it
 * with a printed reason (e.g. the feature's table is empty).
 */

export interface MemberSession { userId: number, cookie: string, csrf: string }

export interface BenchContext {
  db: Knex
  /** Logged-in bulk members (cookie + CSRF token), for member pages and write paths. */
  members: MemberSession[]
  /** The connections of a run: member reads rotate over this many members, one per connection, as that many members browsing would. */
  connections: number
}

export interface BenchRequest { method: 'GET' | 'POST', path: string, headers?: Record<string, string>, body?: string }

export interface Scenario {
  name: string
  kind: 'read' | 'write'
  /** Every answered request is a view of the hot article (checked against its count afterwards). */
  viewsHotArticle?: boolean
  /** Needs no logged-in members (a run of such scenarios only skips the logins). */
  guestOnly?: boolean
  /** The connection counts it runs at when a run has several (`--connections 1,16,64`); all of them when absent. */
  connections?: readonly number[]
  /** Returns the request maker, or a string saying why the scenario cannot run on this data. */
  prepare: (ctx: BenchContext) => Promise<((n: number) => BenchRequest) | string>
}

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'
// What a browser sends: every browser accepts compressed responses.
export const browserHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({ 'user-agent': BROWSER_UA, 'accept-encoding': 'gzip, deflate, br', ...extra })

/** The most viewed article: the one a group chat would be sharing. */
export async function hotArticleId (db: Knex): Promise<number | null> {
  const row = await db('articles').where('status', 'published').orderBy('views', 'desc').first<{ id: number } | undefined>('id')
  return row?.id ?? null
}

/**
 * Reads are measured under load (16, 64) and alone (1): one connection queues nothing behind a request,
 * so the event loop's delay there is the longest one request (or a collection) held it, while at
 * 64 connections it also holds the requests answered in one turn of the loop. A run with
 * `--connections 1` measures the writes' latency without load.
 */
/**
 * Queries no earlier request asked (for `search cold (every query new)`): pieces (2–4 characters) of one
 * bulk phrase, so each finds the documents holding that phrase (a tenth to a fifth). First every pair of
 * pieces (3,736 queries), then each pair with a third piece of its phrase, a new one each time round:
 * the pairs alone ran out after 12 s at 300 searches a second, and from there the bench asked again what
 * the kept rankings (RANKING_CACHE_MS, a minute) still held. Taken in turn across runs by one counter.
 */
const PHRASE_PAIRS: Array<{ pieces: string[], a: string, b: string }> = PHRASES.flatMap((phrase) => {
  const chars = Array.from(phrase)
  const pieces = [...new Set(chars.flatMap((_, i) => [2, 3, 4].map((n) => chars.slice(i, i + n).join('')).filter((p) => Array.from(p).length >= 2)))]
  return pieces.flatMap((a) => pieces.filter((b) => !a.includes(b) && !b.includes(a)).map((b) => ({ pieces, a, b })))
})

export function newQuery (n: number): string {
  const pair = PHRASE_PAIRS[n % PHRASE_PAIRS.length]
  if (pair === undefined) return ''
  const round = Math.floor(n / PHRASE_PAIRS.length)
  if (round === 0) return `${pair.a} ${pair.b}`
  // The round's third piece: another piece of the same phrase. The first query to come again does so
  // 37,360 queries after its first time (two minutes at 300 searches a second: its kept ranking is gone).
  const others = pair.pieces.filter((c) => c !== pair.a && c !== pair.b)
  return `${pair.a} ${pair.b} ${others[(round - 1) % Math.max(1, others.length)] ?? ''}`.trim()
}
let newQueryTurn = 0

/** Why the search scenarios cannot run (an empty index), or null. */
async function searchIndexEmpty (db: Knex): Promise<string | null> {
  const row = await db('search_documents').first<{ id: number } | undefined>('id')
  return row === undefined ? 'the search index is empty (npm run cli -- search:reindex)' : null
}

const UNDER_LOAD = [1, 16, 64] as const

export const SCENARIOS: Scenario[] = [
  {
    name: 'guest article page',
    kind: 'read',
    viewsHotArticle: true,
    async prepare ({ db }) {
      const id = await hotArticleId(db)
      if (id === null) return 'no articles'
      return () => ({ method: 'GET', path: `/article/${id}`, headers: browserHeaders() })
    }
  },
  {
    name: 'member article page',
    kind: 'read',
    connections: UNDER_LOAD,
    viewsHotArticle: true,
    async prepare (ctx) {
      const id = await hotArticleId(ctx.db)
      if (id === null) return 'no articles'
      return memberReads(ctx, () => `/article/${id}`)
    }
  },
  {
    name: 'member home',
    kind: 'read',
    connections: UNDER_LOAD,
    async prepare (ctx) { return memberReads(ctx, () => '/') }
  },
  {
    name: 'member board page',
    kind: 'read',
    connections: UNDER_LOAD,
    async prepare (ctx) {
      const board = await biggestBoard(ctx.db)
      if (board === null) return 'no boards'
      return memberReads(ctx, () => `/forum/${board.id}`)
    }
  },
  {
    name: 'member thread page',
    kind: 'read',
    connections: UNDER_LOAD,
    async prepare (ctx) {
      const thread = await threadWithTenPosts(ctx.db)
      if (thread === null) return 'no thread with 10 posts'
      return memberReads(ctx, () => `/thread/${thread}`)
    }
  },
  ...(['first', 'middle', 'last'] as const).flatMap((which): Scenario[] => [
    {
      name: `comment list ${which} page`,
      kind: 'read',
      connections: UNDER_LOAD,
      async prepare ({ db }) {
        const list = await mostCommented(db)
        if (list === null) return 'no comments'
        const page = pageOf(list.pages, which)
        return () => ({ method: 'GET', path: `/article/${list.id}/comments${page === 1 ? '' : `?page=${page}`}`, headers: browserHeaders() })
      }
    },
    {
      name: `member comment list ${which} page`,
      kind: 'read',
      connections: UNDER_LOAD,
      async prepare (ctx) {
        const list = await mostCommented(ctx.db)
        if (list === null) return 'no comments'
        const page = pageOf(list.pages, which)
        return memberReads(ctx, () => `/article/${list.id}/comments${page === 1 ? '' : `?page=${page}`}`)
      }
    }
  ]),
  {
    name: 'portal home',
    kind: 'read',
    async prepare () { return () => ({ method: 'GET', path: '/', headers: browserHeaders() }) }
  },
  {
    name: 'category page',
    kind: 'read',
    async prepare ({ db }) {
      const row = await db('articles').groupBy('category_id').orderByRaw('count(*) desc').first<{ category_id: number } | undefined>('category_id')
      if (row === undefined) return 'no articles'
      return () => ({ method: 'GET', path: `/category/${row.category_id}`, headers: browserHeaders() })
    }
  },
  {
    name: 'category page 500',
    kind: 'read',
    async prepare ({ db }) {
      const row = await db('articles').groupBy('category_id').orderByRaw('count(*) desc').first<{ category_id: number, n: number } | undefined>('category_id', db.raw('count(*) as n'))
      if (row === undefined || Number(row.n) < 500 * 20) return 'fewer than 500 pages of articles in any category'
      return () => ({ method: 'GET', path: `/category/${row.category_id}?page=500`, headers: browserHeaders() })
    }
  },
  {
    // Each request is a different member (flood control allows one comment per member per 15 s).
    name: 'quick comment post',
    kind: 'write',
    async prepare ({ db, members }) {
      if (members.length === 0) return 'no logged-in members'
      const articles = (await db('articles').where({ status: 'published', allow_comments: true }).orderBy('id', 'desc').limit(20).select('id')).map((r: { id: number }) => r.id)
      if (articles.length === 0) return 'no articles'
      return (n) => {
        const member = members[n % members.length] as MemberSession
        return {
          method: 'POST',
          path: `/article/${articles[n % articles.length] ?? 0}/comments`,
          headers: browserHeaders({ cookie: member.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
          body: new URLSearchParams({ _csrf: member.csrf, message: `压测评论 ${n}：街坊们早上好` }).toString()
        }
      }
    }
  },
  {
    name: 'reaction post',
    kind: 'write',
    async prepare ({ db, members }) {
      if (members.length === 0) return 'no logged-in members'
      const articles = await db('articles').where('status', 'published').orderBy('id', 'desc').limit(200).select<Array<{ id: number, author_id: number }>>('id', 'author_id')
      if (articles.length === 0) return 'no articles'
      const kinds = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']
      // Request n: member n % M on article floor(n / M): every (member, article) pair once until they run out.
      // Numbering starts after the reactions already stored, so a later bench on the same data set does not
      // repeat the pairs of an earlier one (a repeat is refused: 您已表过态).
      const start = Number((await db('reactions').count<Array<{ n: number | string }>>({ n: '*' }))[0]?.n ?? 0)
      return (request) => {
        const n = request + start
        const member = members[n % members.length] as MemberSession
        const article = articles[Math.floor(n / members.length) % articles.length] as { id: number }
        return {
          method: 'POST',
          path: `/article/${article.id}/react`,
          headers: browserHeaders({ cookie: member.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
          body: new URLSearchParams({ _csrf: member.csrf, kind: kinds[n % kinds.length] ?? 'luguo' }).toString()
        }
      }
    }
  },
  {
    // Each request a different member (flood control); a reply answers 303 to its floor, so non-2xx here are those redirects.
    name: 'forum reply post',
    kind: 'write',
    async prepare ({ db, members }) {
      if (members.length === 0) return 'no logged-in members'
      const threads = (await db('threads').where('status', 'visible').orderBy('id', 'desc').limit(20).select('id')).map((r: { id: number }) => r.id)
      if (threads.length === 0) return 'no threads'
      return (n) => {
        // The other half of the members from the quick comments' first: the flood interval covers both
        // kinds, and a reply by a member who commented seconds before was refused (429), not measured.
        const member = members[(n + Math.floor(members.length / 2)) % members.length] as MemberSession
        return {
          method: 'POST',
          path: `/thread/${threads[n % threads.length] ?? 0}/reply`,
          headers: browserHeaders({ cookie: member.cookie, 'content-type': 'application/x-www-form-urlencoded' }),
          body: new URLSearchParams({ _csrf: member.csrf, body: `压测回帖 ${n}：街坊们早上好，今天的渡轮准点。` }).toString()
        }
      }
    }
  },
  {
    name: 'darkroom',
    kind: 'read',
    async prepare () { return () => ({ method: 'GET', path: '/darkroom', headers: browserHeaders() }) }
  },
  {
    name: 'archiver article page',
    kind: 'read',
    viewsHotArticle: true,
    async prepare ({ db }) {
      const id = await hotArticleId(db)
      if (id === null) return 'no articles'
      return () => ({ method: 'GET', path: `/archiver/aid-${id}.html`, headers: browserHeaders() })
    }
  },
  {
    name: 'forum index',
    kind: 'read',
    async prepare () { return () => ({ method: 'GET', path: '/forum', headers: browserHeaders() }) }
  },
  {
    name: 'board page',
    kind: 'read',
    async prepare ({ db }) {
      const board = await biggestBoard(db)
      if (board === null) return 'no boards'
      return () => ({ method: 'GET', path: `/forum/${board.id}`, headers: browserHeaders() })
    }
  },
  {
    name: 'board page 500',
    kind: 'read',
    async prepare ({ db }) {
      const board = await biggestBoard(db)
      if (board === null || board.thread_count < 500 * 20) return 'no board with 500 pages of threads'
      return () => ({ method: 'GET', path: `/forum/${board.id}?page=500`, headers: browserHeaders() })
    }
  },
  {
    name: 'thread page (10 posts)',
    kind: 'read',
    async prepare ({ db }) {
      const thread = await db('threads').where('status', 'visible').andWhere('last_position', '>=', 10).orderBy('id', 'desc').first<{ id: number } | undefined>('id')
      if (thread === undefined) return 'no thread with 10 posts'
      return () => ({ method: 'GET', path: `/thread/${thread.id}`, headers: browserHeaders() })
    }
  },
  {
    name: 'thread deep page',
    kind: 'read',
    async prepare ({ db }) {
      const thread = await db('threads').where('status', 'visible').orderBy('last_position', 'desc').first<{ id: number, last_position: number } | undefined>('id', 'last_position')
      if (thread === undefined || thread.last_position < 1000) return 'no thread with 1,000 posts'
      // Page 500 of a 10,000-reply thread (or the last page of a shorter one).
      const page = Math.min(500, Math.ceil(thread.last_position / 10))
      return () => ({ method: 'GET', path: `/thread/${thread.id}?page=${page}`, headers: browserHeaders() })
    }
  },
  {
    // 搜索 (issue 23): words of the bulk text, each in a tenth to a fifth of the documents (the bulk bodies
    // combine ten phrases), rotated; a guest, 10 results a page. Ten words and three pages: after the first
    // requests these are served from the kept rankings (RANKING_CACHE_MS), as a reader paging through
    // results or a popular word would be. `search cold (every query new)` measures the engine itself.
    name: 'search',
    kind: 'read',
    guestOnly: true,
    async prepare ({ db }) {
      const empty = await searchIndexEmpty(db)
      if (empty !== null) return empty
      const words = ['骑楼', '早茶', '渡轮', '牛肉丸', '科技节', '糕点', '海滩 志愿者', '榕树', '堤岸', '公交线路']
      return (n) => ({ method: 'GET', path: `/search?q=${encodeURIComponent(words[n % words.length] ?? '')}&page=${1 + (n % 3)}`, headers: browserHeaders() })
    }
  },
  {
    // 搜索 without the kept rankings: every request a query this process has not answered before (two
    // pieces of one bulk phrase, so each matches a tenth to a fifth of the documents), page 1.
    name: 'search cold (every query new)',
    kind: 'read',
    guestOnly: true,
    async prepare ({ db }) {
      const empty = await searchIndexEmpty(db)
      if (empty !== null) return empty
      return () => ({ method: 'GET', path: `/search?q=${encodeURIComponent(newQuery(newQueryTurn++))}`, headers: browserHeaders() })
    }
  },
  {
    name: 'archiver thread page',
    kind: 'read',
    async prepare ({ db }) {
      const thread = await db('threads').where('status', 'visible').andWhere('last_position', '>=', 10).orderBy('id', 'desc').first<{ id: number } | undefined>('id')
      if (thread === undefined) return 'no thread with 10 posts'
      return () => ({ method: 'GET', path: `/archiver/tid-${thread.id}.html`, headers: browserHeaders() })
    }
  }
]

/** A member read: request n goes to member n mod connections, so each connection's turn is one member's page view. */
function memberReads ({ members, connections }: BenchContext, path: () => string): ((n: number) => BenchRequest) | string {
  const pool = members.slice(0, Math.max(1, connections))
  if (pool.length === 0) return 'no logged-in members'
  return (n) => ({ method: 'GET', path: path(), headers: browserHeaders({ cookie: pool[n % pool.length]?.cookie ?? '' }) })
}

const COMMENT_PAGE_SIZE = 25

/** The article with the most visible comments, and how many pages its list has. */
async function mostCommented (db: Knex): Promise<{ id: number, pages: number } | null> {
  const row = await db('articles').where('status', 'published').orderBy('comment_count', 'desc').first<{ id: number, comment_count: number } | undefined>('id', 'comment_count')
  if (row === undefined || Number(row.comment_count) === 0) return null
  return { id: row.id, pages: Math.ceil(Number(row.comment_count) / COMMENT_PAGE_SIZE) }
}

function pageOf (pages: number, which: 'first' | 'middle' | 'last'): number {
  return which === 'first' ? 1 : which === 'last' ? pages : Math.max(1, Math.ceil(pages / 2))
}

async function threadWithTenPosts (db: Knex): Promise<number | null> {
  const thread = await db('threads').where('status', 'visible').andWhere('last_position', '>=', 10).orderBy('id', 'desc').first<{ id: number } | undefined>('id')
  return thread?.id ?? null
}

async function biggestBoard (db: Knex): Promise<{ id: number, thread_count: number } | null> {
  const row = await db('boards').where('is_group', false).orderBy('thread_count', 'desc').first<{ id: number, thread_count: number } | undefined>('id', 'thread_count')
  return row ?? null
}

/**
 * Named sets for `--only`: `npm run bench -- --only issue19 --connections 1,16,64` is issue #19's whole
 * table (member pages at 16 and 64 connections, comment list pages first/middle/last, posts without load).
 */
export const SCENARIO_SETS: Readonly<Record<string, readonly string[]>> = {
  issue19: [
    'member article page', 'member home', 'member thread page', 'member board page',
    ...['first', 'middle', 'last'].flatMap((w) => [`comment list ${w} page`, `member comment list ${w} page`]),
    'quick comment post', 'forum reply post'
  ]
}
