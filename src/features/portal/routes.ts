import type { FastifyInstance } from 'fastify'
import { parsePageParam, pagerNumbers, type Page } from '../../lib/pagination'
import { parseId } from '../../lib/http-errors'
import { portalService, ARTICLE_NOT_FOUND, CATEGORY_NOT_FOUND } from './service'

/** Portal pages: home, category lists, the article view, and Discuz's legacy URLs. */

export function pagerFor (page: Page, baseUrl: string): Record<string, unknown> {
  return { page: page.page, pageCount: page.pageCount, numbers: pagerNumbers(page.page, page.pageCount), baseUrl, join: baseUrl.includes('?') ? '&' : '?' }
}

interface PageQuery { Querystring: { page?: string } }

export default async function portalRoutes (app: FastifyInstance): Promise<void> {
  const portal = portalService(app.dbRead, () => app.clock.nowMs())
  app.viewCounts.registerKind('article', 'articles')

  app.get<PageQuery>('/', async (request, reply) => {
    const { newest, page, hot, tree } = await portal.home(parsePageParam(request.query.page), app.clock.now())
    const sections = await app.homeSections.load({ request })
    return await reply.render('portal/home.njk', {
      ...sections,
      navActive: 'portal', newest, hot, categories: tree.roots, categoryNames: Object.fromEntries(tree.roots.flatMap((r) => [r, ...r.children]).map((c) => [c.id, c.name])),
      pager: pagerFor(page, '/')
    })
  })

  app.get<PageQuery & { Params: { catid: string } }>('/category/:catid', async (request, reply) => {
    const id = parseId(request.params.catid, CATEGORY_NOT_FOUND)
    const view = await portal.category(id, parsePageParam(request.query.page))
    return await reply.render('portal/category.njk', {
      navActive: 'portal',
      ...view,
      crumbs: [{ label: '门户', url: '/' }, ...view.path.map((c, i) => i === view.path.length - 1 ? { label: c.name } : { label: c.name, url: `/category/${c.id}` })],
      pager: pagerFor(view.page, `/category/${id}`)
    })
  })

  app.get<{ Params: { aid: string } }>('/article/:aid', async (request, reply) => {
    const id = parseId(request.params.aid, ARTICLE_NOT_FOUND)
    const view = await portal.article(id)
    await app.viewCounts.countView('article', id, request)
    const tree = await portal.categoryTree()
    const commentsAllowed = Boolean(view.article.allow_comments) && tree.allowsComments(view.article.category_id)
    const sections = await app.articleSections.load({ article: view.article, commentsAllowed, request })
    const category = view.categoryPath[view.categoryPath.length - 1]
    return await reply.render('portal/article.njk', {
      navActive: 'portal',
      ...view,
      ...sections,
      commentsAllowed,
      category,
      views: view.article.views + app.viewCounts.pendingFor('article', id),
      crumbs: [{ label: '门户', url: '/' }, ...view.categoryPath.map((c) => ({ label: c.name, url: `/category/${c.id}` })), { label: '查看内容' }]
    })
  })

  // Discuz's URLs, so links and search results pointing at an old site keep working.
  app.get<{ Querystring: Record<string, string | undefined> }>('/portal.php', async (request, reply) => {
    const { mod, aid, catid } = request.query
    if (mod === 'view' && aid !== undefined && /^\d+$/.test(aid)) return await reply.redirect(`/article/${aid}`, 301)
    if (mod === 'list' && catid !== undefined && /^\d+$/.test(catid)) return await reply.redirect(`/category/${catid}`, 301)
    return await reply.redirect('/', 301)
  })
  app.get<{ Params: { aid: string, page: string } }>('/article-:aid(^\\d+)-:page(^\\d+).html', async (request, reply) => {
    return await reply.redirect(`/article/${request.params.aid}`, 301)
  })
}
