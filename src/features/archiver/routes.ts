import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseId, HttpError, notFound } from '../../lib/http-errors'
import { pagerFor, parsePageParam } from '../../lib/pagination'
import { AnyQuery, PathParam, QueryValue } from '../../lib/route-schemas'
import { isCrawler, userAgentOf } from '../../lib/visitor'
import { encodeLocation } from '../../lib/location'
import { answerNotModified } from '../../plugins/guest-pages'
import { ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND } from '../portal'
import { messages as forumMessages } from '../forum'
import type { AppConfig } from '../../config'

/** The longest /archiver?… URL whose query is carried to /archiver/?… (Discuz's forms are a few dozen characters). */
const ARCHIVER_QUERY_MAX = 512

/**
 * Archiver: text-only pages for slow phones and crawlers, under Discuz's own URLs. One small HTML
 * response each (own layout, inline CSS, no script or images), ETag/Last-Modified from the
 * content's change time with 304s, and the same visibility rules as the full site.
 */

export const ARTICLES_PER_PAGE = 20
export const COMMENTS_PER_PAGE = 50
const BOARD_NOT_FOUND = forumMessages.boardNotFound
const THREAD_NOT_FOUND = forumMessages.threadNotFound

// The five reactions as Discuz names them, in display order (their counters are article columns).
const REACTIONS = [
  { key: 'luguo', name: '路过' }, { key: 'leiren', name: '雷人' }, { key: 'woshou', name: '握手' },
  { key: 'xianhua', name: '鲜花' }, { key: 'jidan', name: '鸡蛋' }
] as const

interface Crumb { label: string, url?: string }

// Every text page takes the numeric id of its thing and an optional `?page=N` (parsed leniently: page 1).
const TextPageSchema = { params: Type.Object({ id: PathParam }), querystring: Type.Object({ page: QueryValue }) }

/** `?page=N` on the full site for page N > 1. */
function withPage (url: string, page: number): string {
  return page > 1 ? `${url}?page=${page}` : url
}

export default async function archiverRoutes (app: FastifyInstance, opts: { cacheMs?: number, config: AppConfig }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // Text pages read from the replica for everyone, as the Archiver always has (crawlers are nearly all its readers).
  const portal = app.portal.forReader('replica')
  // The one forum service; its board list may be reused for a second here, like the other caches.
  const forum = app.forum
  const reads = { boardsMaxAgeMs: opts.cacheMs ?? 1000 }

  /** The switches: off → 404; `archiver_redirect` sends human browsers to the full page. */
  async function gate (request: FastifyRequest, reply: FastifyReply, fullUrl: string): Promise<boolean> {
    if (await app.settings.get('archiver_enabled') !== '1') throw notFound()
    if (await app.settings.get('archiver_redirect') === '1' && !isCrawler(userAgentOf(request))) {
      await reply.redirect(fullUrl, 302)
      return false
    }
    return true
  }

  interface TextPage { tag: string, lastModified: number, template: string, data: () => Record<string, unknown> }

  /** Validators, then a 304 or the page; guests get the guest page cache's copy while it is fresh. */
  async function serve (request: FastifyRequest, reply: FastifyReply, view: { kind: string, id: number } | undefined, load: () => Promise<TextPage>): Promise<FastifyReply> {
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply
    const page = await load()
    if (view !== undefined) await app.viewCounts.countView(view.kind, view.id, request)
    if (answerNotModified(request, reply, page.tag, page.lastModified)) return await reply.code(304).send()
    const rendered = await reply.renderPage(page.template, page.data())
    // With archiver_redirect on, only crawlers reach this point; the cached copy must not serve human browsers.
    const crawlersOnly = await app.settings.get('archiver_redirect') === '1'
    return await app.guestPages.send(request, reply, rendered, { view, validators: { tag: page.tag, lastModified: page.lastModified }, crawlersOnly })
  }

  async function send (reply: FastifyReply, template: string, data: Record<string, unknown>): Promise<FastifyReply> {
    const page = await reply.renderPage(template, data)
    return await reply.type('text/html; charset=utf-8').send(page.html)
  }

  // Registered under the /archiver prefix, so this 404 page and error handler only cover the Archiver.
  // Any query: Discuz's forms are read from the raw URL below (`?tid-1.html` is not key=value).
  r.get('/', { schema: { querystring: AnyQuery } }, async (request, reply) => {
    if (request.url === '/archiver' || request.url.startsWith('/archiver?')) {
      // The query goes along only when it could be one of Discuz's forms (they are short): a query near the
      // 16 KB URL limit, percent-encoded into the Location, made a header no client would read (the long
      // fuzz run's "Header overflow").
      const target = request.url.length <= ARCHIVER_QUERY_MAX ? request.url.replace('/archiver', '/archiver/') : '/archiver/'
      return await reply.redirect(encodeLocation(target), 301)
    }
    // Discuz's query forms: /archiver/?tid-1.html, /archiver/?fid-2.html, /archiver/?action=tid&value=1
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''
    const short = /^(tid|fid|aid|cid)-(\d{1,10})\.html/.exec(query)
    const params = new URLSearchParams(query)
    // `&page=P` comes along (the pages of a board, a category, a thread's floors, an article's comments).
    const page = params.get('page')
    const pageSuffix = page !== null && /^[1-9]\d{0,5}$/.test(page) && page !== '1' ? `?page=${page}` : ''
    if (short !== null) return await reply.redirect(`/archiver/${short[1] ?? ''}-${short[2] ?? ''}.html${pageSuffix}`, 301)
    const action = params.get('action')
    const value = params.get('value')
    if (action !== null && /^(tid|fid|aid|cid)$/.test(action) && value !== null && /^\d{1,10}$/.test(value)) {
      return await reply.redirect(`/archiver/${action}-${value}.html${pageSuffix}`, 301)
    }
    if (!await gate(request, reply, '/')) return reply
    const tree = await portal.categoryTree()
    const { groups } = await forum.index(request.user, app.clock.now(), reads)
    return await send(reply, 'archiver/index.njk', {
      categories: tree.roots,
      boardGroups: groups.map((g) => ({ name: g.name, boards: g.children })),
      path: [],
      fullUrl: '/',
      fullTitle: '首页'
    })
  })

  r.get('/cid-:id(^\\d+).html', { schema: TextPageSchema }, async (request, reply) => {
    const id = parseId(request.params.id, CATEGORY_NOT_FOUND)
    const requested = parsePageParam(request.query.page)
    if (!await gate(request, reply, withPage(`/category/${id}`, requested))) return reply
    return await serve(request, reply, undefined, async () => {
      const list = await portal.articleList(id, requested, ARTICLES_PER_PAGE)
      const newest = list.articles.reduce((m, a) => Math.max(m, a.published_at), 0)
      const path: Crumb[] = list.path.map((c, i) => i === list.path.length - 1 ? { label: c.name } : { label: c.name, url: `/archiver/cid-${c.id}.html` })
      return {
        tag: `c${id}-${list.page.page}-${list.page.total}-${list.articles.map((a) => `${a.id}.${a.comment_count}`).join('_')}`,
        lastModified: newest,
        template: 'archiver/category.njk',
        data: () => ({
          category: list.category,
          articles: list.articles,
          startAt: list.page.offset + 1,
          pager: pagerFor(list.page, `/archiver/cid-${id}.html`),
          path,
          fullUrl: withPage(`/category/${id}`, list.page.page),
          fullTitle: list.category.name
        })
      }
    })
  })

  r.get('/aid-:id(^\\d+).html', { schema: TextPageSchema }, async (request, reply) => {
    const id = parseId(request.params.id, ARTICLE_NOT_FOUND)
    const requested = parsePageParam(request.query.page)
    if (!await gate(request, reply, withPage(`/article/${id}`, requested))) return reply
    return await serve(request, reply, { kind: 'article', id }, async () => {
      const { article, textPages, categoryPath } = await portal.articleAsText(id)
      const reactions = REACTIONS.map((r) => ({ name: r.name, count: article[`react_${r.key}`] }))
      const comments = await app.comments.archiverPage(article, requested, COMMENTS_PER_PAGE)
      const path: Crumb[] = [
        ...categoryPath.map((c) => ({ label: c.name, url: `/archiver/cid-${c.id}.html` })),
        { label: article.title }
      ]
      return {
        tag: `a${id}-${article.updated_at}.${article.render_version ?? 0}-${comments.page.page}-${comments.page.total}-${reactions.map((r) => r.count).join('.')}-${comments.lastChangedAt}`,
        lastModified: Math.max(article.updated_at, comments.lastChangedAt),
        template: 'archiver/article.njk',
        data: () => ({
          article,
          // Every page of a multi-page article on this one text page: the Archiver's `?page=` already
          // pages the comments, and a text page is read in one go (slow phones, crawlers).
          textPages,
          reactions,
          comments: comments.rows,
          pager: pagerFor(comments.page, `/archiver/aid-${id}.html`),
          path,
          fullUrl: comments.page.page > 1 ? `/article/${id}/comments?page=${comments.page.page}` : `/article/${id}`,
          fullTitle: article.title
        })
      }
    })
  })

  r.get('/fid-:id(^\\d+).html', { schema: TextPageSchema }, async (request, reply) => {
    const id = parseId(request.params.id, BOARD_NOT_FOUND)
    const requested = parsePageParam(request.query.page)
    if (!await gate(request, reply, withPage(`/forum/${id}`, requested))) return reply
    return await serve(request, reply, undefined, async () => {
      const view = await forum.board(request.user, id, requested, app.clock.now(), reads)
      const path: Crumb[] = view.path.map((b, i) => i === view.path.length - 1 || b.isGroup ? { label: b.name } : { label: b.name, url: `/archiver/fid-${b.id}.html` })
      return {
        tag: `f${id}-${view.page.page}-${view.page.total}-${view.threads.map((t) => `${t.id}.${t.reply_count}.${t.last_post_at}`).join('_')}`,
        lastModified: view.threads.reduce((m, t) => Math.max(m, t.last_post_at), 0),
        template: 'archiver/board.njk',
        data: () => ({
          board: view.board,
          threads: view.threads,
          startAt: view.page.offset + 1,
          pager: pagerFor(view.page, `/archiver/fid-${id}.html`),
          path,
          fullUrl: withPage(`/forum/${id}`, view.page.page),
          fullTitle: view.board.name
        })
      }
    })
  })

  r.get('/tid-:id(^\\d+).html', { schema: TextPageSchema }, async (request, reply) => {
    const id = parseId(request.params.id, THREAD_NOT_FOUND)
    const requested = parsePageParam(request.query.page)
    if (!await gate(request, reply, withPage(`/thread/${id}`, requested))) return reply
    return await serve(request, reply, { kind: 'thread', id }, async () => {
      const view = await forum.threadText(request.user, id, requested, app.clock.now(), reads)
      const path: Crumb[] = [
        ...view.boardPath.map((b) => b.isGroup ? { label: b.name } : { label: b.name, url: `/archiver/fid-${b.id}.html` }),
        { label: view.thread.title }
      ]
      return {
        tag: `t${id}-${view.page.page}-${view.thread.last_position}-${view.thread.reply_count}-${view.posts.map((p) => `${p.id}.${p.editedAt ?? 0}`).join('_')}`,
        lastModified: view.posts.reduce((m, p) => Math.max(m, p.createdAt, p.editedAt ?? 0), view.thread.created_at),
        template: 'archiver/thread.njk',
        data: () => ({
          thread: view.thread,
          posts: view.posts,
          pager: pagerFor(view.page, `/archiver/tid-${id}.html`),
          path,
          fullUrl: withPage(`/thread/${id}`, view.page.page),
          fullTitle: view.thread.title
        })
      }
    })
  })

  // Unknown Archiver pages: the small 404 in the Archiver's own style.
  app.setNotFoundHandler(async (request, reply) => {
    return await reply.code(404).type('text/html; charset=utf-8')
      .send((await reply.renderPage('archiver/not-found.njk', { message: '抱歉，您访问的页面不存在', path: [], fullUrl: '/', fullTitle: '首页' })).html)
  })
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof HttpError && error.statusCode === 404) {
      return await reply.code(404).type('text/html; charset=utf-8')
        .send((await reply.renderPage('archiver/not-found.njk', { message: error.message, path: [], fullUrl: '/', fullTitle: '首页' })).html)
    }
    throw error
  })
}
