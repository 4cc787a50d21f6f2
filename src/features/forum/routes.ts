import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { parseId } from '../../lib/http-errors'
import type { AppConfig } from '../../config'
import { newMemberWait } from '../antiabuse'
import { viewsMarker } from '../../plugins/guest-pages'
import { boardCrumbs, BoardParams, PageQuery, ThreadParams } from './pages'
import postingRoutes from './posting-routes'
import forumModerationRoutes from './moderation-routes'
import forumLegacyRoutes from './legacy-routes'
import { messages } from './rules'

/**
 * Forum pages: the index, boards and threads here; posting and editing (posting-routes.ts),
 * moderator actions (moderation-routes.ts) and Discuz's legacy URLs (legacy-routes.ts) beside it.
 * Every route uses the one forum service, `app.forum` (src/features/forum/index.ts).
 */

export { PREVIEW_LIMIT } from './posting-routes'
export { forumPhpTarget } from './legacy-routes'

// `?page=last` opens the last page; anything else goes through parsePageParam. `?quote=` that is not a post id is ignored.
const ThreadQuery = Type.Object({ page: Type.Optional(Type.String()), quote: Type.Optional(Type.String()) })

function parseThreadPage (raw: string | undefined): number | 'last' {
  return raw === 'last' ? 'last' : parsePageParam(raw)
}

export default async function forumRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const forum = app.forum
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  app.viewCounts.registerKind('thread', 'threads')

  // Guests' pages go through the guest page cache (src/plugins/guest-pages.ts), plain members' through
  // the member copy (src/plugins/member-pages.ts): each rendered once a second.
  const fromCache = async (request: FastifyRequest, reply: FastifyReply, personal?: () => Promise<Record<string, string> | null>): Promise<boolean> =>
    request.user === null ? await app.guestPages.serveCached(request, reply) : await app.memberPages.serveCached(request, reply, personal)

  r.get('/forum', async (request, reply) => {
    if (await fromCache(request, reply)) return reply
    const view = await forum.index(request.user, app.clock.now())
    return await app.memberPages.send(request, reply, await reply.renderPage('forum/index.njk', { navActive: 'forum', ...view, crumbs: [{ label: '论坛' }], ...app.memberPages.copyLocals(request) }))
  })

  r.get('/forum/:fid', { schema: { params: BoardParams, querystring: PageQuery } }, async (request, reply) => {
    const id = parseId(request.params.fid, messages.boardNotFound)
    if (await fromCache(request, reply)) return reply
    const view = await forum.board(request.user, id, parsePageParam(request.query.page), app.clock.now())
    return await app.memberPages.send(request, reply, await reply.renderPage('forum/board.njk', {
      ...app.memberPages.copyLocals(request),
      navActive: 'forum', ...view, crumbs: boardCrumbs(view.path, false), pager: pagerFor(view.page, `/forum/${id}`),
      // 版主: shown under the board title, as Discuz does (src/features/board-moderators).
      boardModerators: await app.boardModerators.listForBoard(id)
    }))
  })

  r.get('/thread/:tid', { schema: { params: ThreadParams, querystring: ThreadQuery } }, async (request, reply) => {
    const id = parseId(request.params.tid, messages.threadNotFound)
    // A new member's posting wait shows above the quick reply: theirs alone, so the full render.
    const waits = async (): Promise<boolean> => newMemberWait(request.user, app.clock.now(), (await app.antiAbuse.limits()).newMemberSilence) !== null
    if (await fromCache(request, reply, async () => await waits() ? null : {})) return reply
    const now = app.clock.now()
    const view = await forum.thread(request.user, id, parseThreadPage(request.query.page), now)
    await app.viewCounts.countView('thread', id, request)
    const quote = request.query.quote
    const quickReply = view.canReply && quote !== undefined && /^\d{1,10}$/.test(quote)
      ? await forum.quoteText(request.user, id, Number(quote))
      : ''
    const page = await reply.renderPage('forum/thread.njk', {
      ...app.memberPages.copyLocals(request),
      navActive: 'forum',
      ...view,
      quickReply,
      // A new member sees how long to wait above the quick reply, before typing.
      postingWait: newMemberWait(request.user, now, (await app.antiAbuse.limits()).newMemberSilence),
      // The guest page cache writes the current count here on every response.
      views: viewsMarker(),
      crumbs: [...boardCrumbs(view.boardPath, true), { label: view.thread.title }],
      pager: pagerFor(view.page, `/thread/${id}`)
    })
    // Floors waiting for review are read by their authors only (and a thread waiting, by its author): never their copy.
    const fullRenderFor = [...view.posts.filter((p) => p.status === 'pending').map((p) => p.authorId), ...(view.thread.status === 'visible' ? [] : [view.thread.author_id])]
    return await app.memberPages.send(request, reply, page, { view: { kind: 'thread', id, stored: view.thread.views }, fullRenderFor })
  })

  await app.register(postingRoutes, opts)
  await app.register(forumModerationRoutes)
  await app.register(forumLegacyRoutes)
}
