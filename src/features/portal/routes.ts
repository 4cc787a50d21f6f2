import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { parseId } from '../../lib/http-errors'
import { viewsMarker } from '../../plugins/guest-pages'
import { portalRepository } from './repository'
import { portalService, ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND, type PortalService } from './service'

/** Portal pages: home, category lists, the article view, and Discuz's legacy URLs. */

interface PageQuery { Querystring: { page?: string } }

export interface PortalRoutesOptions {
  /** 0 turns the service's short caches off (tests); guest pages are cached by the guest page cache. */
  guestCacheMs?: number
}

export default async function portalRoutes (app: FastifyInstance, opts: PortalRoutesOptions): Promise<void> {
  // Tests turn the guest cache off; cached list counts go with it (a frozen test clock never expires them).
  // A body rendered on read (a row from before stored renders) is written back to the primary.
  const cacheOptions = { ...(opts.guestCacheMs === 0 ? { countCacheMs: 0, articleCacheMs: 0 } : {}), writeDb: app.db }
  // Guests read from the replica (DATABASE_READ_URL) when there is one; members from the primary,
  // so they never miss their own latest write to replication lag.
  const guestPortal = portalService(app.dbRead, () => app.clock.nowMs(), cacheOptions)
  const memberPortal = app.dbRead === app.db ? guestPortal : portalService(app.db, () => app.clock.nowMs(), cacheOptions)
  const portalFor = (request: FastifyRequest): PortalService => request.user === null ? guestPortal : memberPortal
  app.viewCounts.registerKind('article', 'articles')
  const articlesRepo = portalRepository(app.dbRead)
  app.sitemap.add({
    name: 'articles',
    count: async () => await articlesRepo.countPublished(),
    list: async (offset, limit) => (await articlesRepo.publishedById(offset, limit)).map((a) => ({ path: `/article/${a.id}`, lastModified: a.updated_at }))
  })

  // Guests' pages go through the guest page cache (src/plugins/guest-pages.ts): rendered once a second.
  async function renderList (request: FastifyRequest, reply: FastifyReply, template: string, data: () => Promise<Record<string, unknown>>): Promise<FastifyReply> {
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply
    return await app.guestPages.send(request, reply, await reply.renderPage(template, await data()))
  }

  app.get<PageQuery>('/', async (request, reply) => await renderList(request, reply, 'portal/home.njk', async () => {
    const { newest, page, hot, tree } = await portalFor(request).home(parsePageParam(request.query.page), app.clock.now())
    const sections = await app.homeSections.load({ request })
    return {
      ...sections,
      navActive: 'portal', newest, hot, categories: tree.roots, categoryNames: Object.fromEntries(tree.roots.flatMap((r) => [r, ...r.children]).map((c) => [c.id, c.name])),
      pager: pagerFor(page, '/')
    }
  }))

  app.get<PageQuery & { Params: { catid: string } }>('/category/:catid', async (request, reply) => {
    const id = parseId(request.params.catid, CATEGORY_NOT_FOUND)
    return await renderList(request, reply, 'portal/category.njk', async () => await categoryPage(portalFor(request), id, parsePageParam(request.query.page)))
  })

  async function categoryPage (portal: PortalService, id: number, requestedPage: number): Promise<Record<string, unknown>> {
    const view = await portal.category(id, requestedPage)
    return {
      navActive: 'portal',
      ...view,
      crumbs: [{ label: '门户', url: '/' }, ...view.path.map((c, i) => i === view.path.length - 1 ? { label: c.name } : { label: c.name, url: `/category/${c.id}` })],
      pager: pagerFor(view.page, `/category/${id}`)
    }
  }

  app.get<{ Params: { aid: string } }>('/article/:aid', async (request, reply) => {
    const id = parseId(request.params.aid, ARTICLE_NOT_FOUND)
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply

    const portal = portalFor(request)
    const view = await portal.article(id)
    await app.viewCounts.countView('article', id, request)
    const tree = await portal.categoryTree()
    const commentsAllowed = Boolean(view.article.allow_comments) && tree.allowsComments(view.article.category_id)
    const sections = await app.articleSections.load({ article: view.article, commentsAllowed, request })
    const category = view.categoryPath[view.categoryPath.length - 1]
    const page = await reply.renderPage('portal/article.njk', {
      navActive: 'portal',
      ...view,
      ...sections,
      commentsAllowed,
      category,
      // The guest page cache writes the current count here on every response.
      views: viewsMarker(),
      crumbs: [{ label: '门户', url: '/' }, ...view.categoryPath.map((c) => ({ label: c.name, url: `/category/${c.id}` })), { label: '查看内容' }]
    })
    return await app.guestPages.send(request, reply, page, { view: { kind: 'article', id, stored: view.article.views } })
  })

  // Discuz's URLs, so links and search results pointing at an old site keep working.
  app.get<{ Querystring: Record<string, string | undefined> }>('/portal.php', async (request, reply) => {
    const { mod, aid, catid, page } = request.query
    // A category list keeps its page; an article has one page here (Discuz's multi-page articles are one body).
    const pageSuffix = page !== undefined && /^[1-9]\d{0,5}$/.test(page) && page !== '1' ? `?page=${page}` : ''
    if (mod === 'view' && aid !== undefined && /^\d+$/.test(aid)) return await reply.redirect(`/article/${aid}`, 301)
    if (mod === 'list' && catid !== undefined && /^\d+$/.test(catid)) return await reply.redirect(`/category/${catid}${pageSuffix}`, 301)
    return await reply.redirect('/', 301)
  })
  app.get<{ Params: { aid: string, page: string } }>('/article-:aid(^\\d+)-:page(^\\d+).html', async (request, reply) => {
    return await reply.redirect(`/article/${request.params.aid}`, 301)
  })
}
