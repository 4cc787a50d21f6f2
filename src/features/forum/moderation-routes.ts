import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseId } from '../../lib/http-errors'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { FormText, moderationContext, PageQuery, PostParams, ReasonBody, ThreadParams } from './pages'
import { messages, pageOfFloor } from './rules'

/** Moderator actions: the review queue and approving, then plain POST forms on the thread page (each audited by the service). */

const PinBody = Type.Object({ pinned: FormText, reason: FormText })
const CloseBody = Type.Object({ closed: FormText, reason: FormText })
const MoveBody = Type.Object({ board_id: FormText, reason: FormText })

export default async function forumModerationRoutes (app: FastifyInstance): Promise<void> {
  const forum = app.forum
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // A POST without any body meets the CSRF check's 403, as before schemas (src/plugins/empty-form.ts).
  app.addHook('preValidation', emptyFormWhenBodiless)

  r.get('/mod/posts', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const view = await forum.reviewQueue(user, parsePageParam(request.query.page), app.clock.now())
    return await reply.render('forum/mod.njk', {
      navActive: 'forum', ...view, crumbs: [{ label: '论坛', url: '/forum' }, { label: '帖子审核' }], pager: pagerFor(view.page, '/mod/posts')
    })
  })

  // The thread tools below open to a board's 版主 too; the service checks the thread's own board.
  r.post('/post/:pid/approve', { schema: { params: PostParams, body: ReasonBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate-any-board' })
    const pid = parseId(request.params.pid, messages.postNotFound)
    const approved = await forum.approvePost(moderationContext(request, user, app.clock.now(), request.body.reason), pid)
    return await reply.redirect(`/thread/${approved.threadId}?page=${pageOfFloor(approved.position)}#post-${pid}`, 303)
  })

  r.post('/thread/:tid/pin', { schema: { params: ThreadParams, body: PinBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate-any-board' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    await forum.setPinned(moderationContext(request, user, app.clock.now(), request.body.reason), id, request.body.pinned === '1')
    return await reply.redirect(`/thread/${id}`, 303)
  })

  r.post('/thread/:tid/close', { schema: { params: ThreadParams, body: CloseBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate-any-board' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    await forum.setClosed(moderationContext(request, user, app.clock.now(), request.body.reason), id, request.body.closed === '1')
    return await reply.redirect(`/thread/${id}`, 303)
  })

  r.post('/thread/:tid/move', { schema: { params: ThreadParams, body: MoveBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate-any-board' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    // Not a board id: 0, which the service refuses with 请选择要移动到的版块.
    const raw = request.body.board_id
    const target = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : 0
    await forum.move(moderationContext(request, user, app.clock.now(), request.body.reason), id, target)
    return await reply.redirect(`/thread/${id}`, 303)
  })

  r.post('/thread/:tid/delete', { schema: { params: ThreadParams, body: ReasonBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate-any-board' })
    const { boardId } = await forum.deleteThread(moderationContext(request, user, app.clock.now(), request.body.reason), parseId(request.params.tid, messages.threadNotFound))
    return await reply.redirect(`/forum/${boardId}`, 303)
  })
}
