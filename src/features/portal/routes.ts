import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { parseId } from '../../lib/http-errors'
import { AnyQuery, PathParam, QueryValue, singleValue } from '../../lib/route-schemas'
import { viewsMarker } from '../../plugins/guest-pages'
import { ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND, readerFor, type PortalReader } from './service'
import { articlePager, shareMeta } from './share'

/** Portal pages: home, category lists, the article view, and Discuz's legacy URLs. */

const PageQuery = Type.Object({ page: QueryValue })

export default async function portalRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // Guests read from the replica (DATABASE_READ_URL) when there is one; members from the primary,
  // so they never miss their own latest write to replication lag.
  const portalFor = (request: FastifyRequest): PortalReader => app.portal.forReader(readerFor(request.user))
  app.viewCounts.registerKind('article', 'articles')
  const sitemapReader = app.portal.forReader('replica')
  app.sitemap.add({
    name: 'articles',
    count: async () => await sitemapReader.countPublished(),
    list: async (offset, limit) => (await sitemapReader.publishedById(offset, limit)).map((a) => ({ path: `/article/${a.id}`, lastModified: a.updated_at }))
  })

  // Guests' pages go through the guest page cache (src/plugins/guest-pages.ts), plain members' through
  // the member copy (src/plugins/member-pages.ts): each rendered once a second.
  async function renderList (request: FastifyRequest, reply: FastifyReply, template: string, data: () => Promise<Record<string, unknown>>): Promise<FastifyReply> {
    if (await fromCache(request, reply)) return reply
    return await app.memberPages.send(request, reply, await reply.renderPage(template, { ...await data(), ...app.memberPages.copyLocals(request) }))
  }

  async function fromCache (request: FastifyRequest, reply: FastifyReply, personal?: () => Promise<Record<string, string> | null>): Promise<boolean> {
    return request.user === null ? await app.guestPages.serveCached(request, reply) : await app.memberPages.serveCached(request, reply, personal)
  }

  r.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => await renderList(request, reply, 'portal/home.njk', async () => {
    const { newest, page, hot, tree } = await portalFor(request).home(parsePageParam(request.query.page), app.clock.now())
    const sections = await app.homeSections.load({ request })
    return {
      ...sections,
      navActive: 'portal', newest, hot, categories: tree.roots, categoryNames: Object.fromEntries(tree.roots.flatMap((r) => [r, ...r.children]).map((c) => [c.id, c.name])),
      pager: pagerFor(page, '/')
    }
  }))

  r.get('/category/:catid', { schema: { params: Type.Object({ catid: PathParam }), querystring: PageQuery } }, async (request, reply) => {
    const id = parseId(request.params.catid, CATEGORY_NOT_FOUND)
    return await renderList(request, reply, 'portal/category.njk', async () => await categoryPage(portalFor(request), id, parsePageParam(request.query.page)))
  })

  async function categoryPage (portal: PortalReader, id: number, requestedPage: number): Promise<Record<string, unknown>> {
    const view = await portal.category(id, requestedPage)
    return {
      navActive: 'portal',
      ...view,
      crumbs: [{ label: '门户', url: '/' }, ...view.path.map((c, i) => i === view.path.length - 1 ? { label: c.name } : { label: c.name, url: `/category/${c.id}` })],
      pager: pagerFor(view.page, `/category/${id}`)
    }
  }

  r.get('/article/:aid', { schema: { params: Type.Object({ aid: PathParam }), querystring: AnyQuery } }, async (request, reply) => {
    const id = parseId(request.params.aid, ARTICLE_NOT_FOUND)
    // A plain member's own parts of the page (their 表态; a pending comment of theirs means the full render).
    if (await fromCache(request, reply, async () => await app.articleSections.holes({ articleId: id, request }))) return reply

    const portal = portalFor(request)
    // `?page=N` of a multi-page article (`<!-- 分页 -->`); the guest page cache keys on `page` too.
    const view = await portal.article(id, parsePageParam(singleValue(request.query.page)))
    await app.viewCounts.countView('article', id, request)
    const commentsAllowed = await portal.commentsAllowed(view.article)
    const sections = await app.articleSections.load({ article: view.article, commentsAllowed, request, query: request.query })
    const category = view.categoryPath[view.categoryPath.length - 1]
    const page = await reply.renderPage('portal/article.njk', {
      ...app.memberPages.copyLocals(request),
      navActive: 'portal',
      ...view,
      ...sections,
      commentsAllowed,
      category,
      // The guest page cache writes the current count here on every response.
      views: viewsMarker(),
      crumbs: [{ label: '门户', url: '/' }, ...view.categoryPath.map((c) => ({ label: c.name, url: `/category/${c.id}` })), { label: '查看内容' }],
      articlePager: articlePager(id, view.page, view.pageCount),
      share: shareMeta(await app.siteOrigin(request), view)
    })
    // The article's author sees their page unlike others (表态 disabled on their own article): never the shared copy.
    return await app.memberPages.send(request, reply, page, { view: { kind: 'article', id, stored: view.article.views }, fullRenderFor: [view.article.author_id] })
  })

  // Discuz's URLs, so links and search results pointing at an old site keep working.
  r.get('/portal.php', {
    schema: { querystring: Type.Object({ mod: QueryValue, aid: QueryValue, catid: QueryValue, page: QueryValue, ac: QueryValue, id: QueryValue, idtype: QueryValue }) }
  }, async (request, reply) => {
    const [mod, aid, catid, page, ac] = [request.query.mod, request.query.aid, request.query.catid, request.query.page, request.query.ac].map(singleValue)
    // 发布文章 / 编辑文章 (portalcp: Discuz's portal control panel).
    if (mod === 'portalcp' && ac === 'article') return await reply.redirect(aid !== undefined && /^[1-9]\d{0,9}$/.test(aid) ? `/portal/write/${aid}` : '/portal/write', 301)
    // A category list and a multi-page article keep their page.
    const pageSuffix = page !== undefined && /^[1-9]\d{0,5}$/.test(page) && page !== '1' ? `?page=${page}` : ''
    if (mod === 'view' && aid !== undefined && /^\d+$/.test(aid)) return await reply.redirect(`/article/${aid}${pageSuffix}`, 301)
    // Discuz's feed (portal.php?mod=rss[&catid=N]).
    if (mod === 'rss') return await reply.redirect(catid !== undefined && /^\d{1,10}$/.test(catid) ? `/category/${catid}/rss.xml` : '/rss.xml', 301)
    if (mod === 'list' && catid !== undefined && /^\d+$/.test(catid)) return await reply.redirect(`/category/${catid}${pageSuffix}`, 301)
    // An article's comment list (portal.php?mod=comment&id=N&idtype=aid): the comments under the article.
    const id = singleValue(request.query.id)
    if (mod === 'comment' && singleValue(request.query.idtype) === 'aid' && id !== undefined && /^[1-9]\d{0,9}$/.test(id)) return await reply.redirect(`/article/${id}#comments`, 301)
    return await reply.redirect('/', 301)
  })
  // Discuz's static list URL: list-<catid>-<page>.html.
  r.get('/list-:catid(^\\d+)-:page(^\\d+).html', { schema: { params: Type.Object({ catid: PathParam, page: PathParam }) } }, async (request, reply) => {
    const page = parsePageParam(request.params.page)
    return await reply.redirect(`/category/${request.params.catid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
  // Discuz's static article URL: article-<aid>-<page>.html, page P of a multi-page article.
  r.get('/article-:aid(^\\d+)-:page(^\\d+).html', { schema: { params: Type.Object({ aid: PathParam, page: PathParam }) } }, async (request, reply) => {
    const page = parsePageParam(request.params.page)
    return await reply.redirect(`/article/${request.params.aid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
}
