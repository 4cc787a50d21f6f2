import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { tooManyRequests } from '../../lib/http-errors'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { QueryValue, singleValue } from '../../lib/route-schemas'
import { messages, QUERY_MAX_LENGTH, RESULTS_PER_PAGE, SEARCH_TYPES, TIME_RANGES, type SearchService, type SearchType, type TimeRange } from './service'
import type { SearchKind } from './repository'
import type { AuthUser } from '../../lib/permissions'

/** GET /search (the results page) and Discuz's search.php (301 to it). HTTP only. */

// Generous bounds (a 400 from the schema is a last resort): the service gives the Chinese messages.
const SearchQuery = Type.Object({
  q: QueryValue,
  type: QueryValue,
  page: QueryValue,
  scope: QueryValue,
  author: QueryValue,
  time: QueryValue
})

const TYPE_LABELS: Record<SearchType, string> = { all: '全部', article: '文章', thread: '主题', post: '回复', user: '用户' }
const TIME_LABELS: Record<TimeRange, string> = { day: '一天内', week: '一周内', month: '一月内', year: '一年内' }

function isSearchType (v: string): v is SearchType {
  return (SEARCH_TYPES as readonly string[]).includes(v)
}
function isTimeRange (v: string): v is TimeRange {
  return Object.hasOwn(TIME_RANGES, v)
}

/** What the scope filter offers: the portal's categories and the forum's boards the reader may see. */
export interface ScopeOptions {
  categories: () => Promise<Array<{ id: number, name: string, ids: number[] }>>
  boards: (viewer: AuthUser | null) => Promise<Array<{ id: number, name: string }>>
}

/** Seconds a visitor is asked to wait when MAX_CONCURRENT_SEARCHES are running. */
const SEARCH_BUSY_RETRY_AFTER_SECONDS = 3

export default async function searchRoutes (app: FastifyInstance, opts: { service: SearchService, scopes: ScopeOptions }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const { service, scopes } = opts

  r.get('/search', {
    schema: { querystring: SearchQuery },
    config: {
      rateLimit: {
        // 10 a minute per visitor by default (站点设置 → 每分钟搜索次数), read live from the settings.
        max: async () => await app.settings.getNumber('search_per_minute'),
        timeWindow: '1 minute',
        errorResponseBuilder: () => tooManyRequests(messages.rateLimited)
      }
    }
  }, async (request, reply) => {
    // Result pages are not for search engines (thin, endless); members' pages are never cached anyway.
    reply.header('X-Robots-Tag', 'noindex')
    const q = (singleValue(request.query.q) ?? '').slice(0, QUERY_MAX_LENGTH * 4)
    const rawType = singleValue(request.query.type) ?? 'all'
    const rawTime = singleValue(request.query.time) ?? ''
    const rawScope = singleValue(request.query.scope) ?? ''
    const author = (singleValue(request.query.author) ?? '').slice(0, 32)
    const viewerId = request.user?.id ?? null
    const [categories, boards] = await Promise.all([scopes.categories(), scopes.boards(request.user)])
    const form = { q, type: rawType, time: rawTime, scope: rawScope, author }
    const render = async (status: number, data: Record<string, unknown>): Promise<unknown> => {
      return await reply.code(status).render('search/results.njk', {
        form, searchQuery: q, searchType: rawType, categories, boards, typeLabels: TYPE_LABELS, timeLabels: TIME_LABELS, noindex: true, crumbs: [{ label: '搜索' }], ...data
      })
    }
    if (!isSearchType(rawType)) return await render(400, { error: messages.badType })
    if (rawTime !== '' && !isTimeRange(rawTime)) return await render(400, { error: messages.badTime })
    // scope: c<id> a portal category (with its sub-categories: articles), b<id> a forum board (threads and replies).
    let scope: { ids: number[], kinds: SearchKind[] } | undefined
    if (rawScope !== '') {
      const m = /^([cb])(\d{1,9})$/.exec(rawScope)
      const id = Number(m?.[2])
      const category = m?.[1] === 'c' ? categories.find((c) => c.id === id) : undefined
      const board = m?.[1] === 'b' ? boards.find((b) => b.id === id) : undefined
      if (category !== undefined) scope = { ids: category.ids, kinds: ['article'] }
      else if (board !== undefined) scope = { ids: [board.id], kinds: ['thread', 'post'] }
      else return await render(400, { error: messages.badScope })
    }
    const outcome = await service.search({
      q,
      type: rawType,
      page: parsePageParam(singleValue(request.query.page)),
      scope,
      author: author === '' ? undefined : author,
      time: rawTime === '' ? undefined : rawTime,
      viewerId,
      now: app.clock.now()
    })
    if (outcome.kind === 'error') return await render(400, { error: outcome.message })
    if (outcome.kind === 'tooBroad') return await render(200, { error: outcome.message })
    if (outcome.kind === 'busy') {
      void reply.header('Retry-After', String(SEARCH_BUSY_RETRY_AFTER_SECONDS))
      return await render(503, { error: outcome.message })
    }
    const params = new URLSearchParams({ q, type: rawType })
    if (rawScope !== '') params.set('scope', rawScope)
    if (author !== '') params.set('author', author)
    if (rawTime !== '') params.set('time', rawTime)
    const baseUrl = `/search?${params.toString()}`
    if (outcome.kind === 'content') {
      const pager = pagerFor({ page: outcome.page, perPage: RESULTS_PER_PAGE, total: outcome.total, pageCount: outcome.pageCount, offset: 0 }, baseUrl)
      return await render(200, { outcome, pager, categoryNames: Object.fromEntries(categories.map((c) => [c.id, c.name])), boardNames: Object.fromEntries(boards.map((b) => [b.id, b.name])) })
    }
    return await render(200, { outcome })
  })

  // Discuz's search.php?mod=portal|forum&srchtxt=… (and searchsubmit, kw): 301 to the same search here.
  r.get('/search.php', { schema: { querystring: Type.Object({ mod: QueryValue, srchtxt: QueryValue, kw: QueryValue }) } }, async (request, reply) => {
    const mod = singleValue(request.query.mod)
    const q = singleValue(request.query.srchtxt) ?? singleValue(request.query.kw) ?? ''
    const type = mod === 'portal' ? 'article' : mod === 'forum' ? 'thread' : mod === 'user' ? 'user' : 'all'
    const params = new URLSearchParams({ q: q.slice(0, QUERY_MAX_LENGTH * 4), type })
    return await reply.redirect(`/search?${params.toString()}`, 301)
  })
}
