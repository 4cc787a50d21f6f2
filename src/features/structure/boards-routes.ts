import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound, parseId } from '../../lib/http-errors'
import { flattenTree, parseDisplayOrder, parseParentId, parseThreadTypes, NODE_NAME_MAX, THREAD_TYPE_MAX, type NodeErrors } from '../../lib/structure-form'
import { MODERATOR_NOTICES } from '../board-moderators'
import { boardMessages, type BoardAdminRow, type BoardInput, type BoardKind } from '../forum'
import { STRUCTURE_RATE_LIMIT } from './categories-routes'
import type { StructureActor, StructureService } from './service'

/** /admin/boards (论坛版块): groups, boards and sub-boards. HTTP only, admins only; forms post, then 303. */

const text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const boardBody = Type.Object({
  _csrf: text(200),
  kind: Type.Optional(Type.Union([Type.Literal('group'), Type.Literal('board')])),
  name: text(200),
  description: text(1000),
  parent_id: text(12),
  display_order: text(12),
  members_only: text(4),
  thread_types: text(2000)
})
const idParams = Type.Object({ id: Type.String({ maxLength: 12 }) })
const orderBody = Type.Object({ _csrf: text(200), dir: Type.Union([Type.Literal('up'), Type.Literal('down')]) })

const DONE: Record<string, string> = { created: '已创建', saved: '已保存', ordered: '显示顺序已调整', deleted: '已删除' }

interface BoardForm { kind: BoardKind, name: string, description: string, parentId: string, displayOrder: string, membersOnly: boolean, threadTypes: string }

function formOf (body: { kind?: BoardKind, name?: string, description?: string, parent_id?: string, display_order?: string, members_only?: string, thread_types?: string }, kind?: BoardKind): BoardForm {
  return {
    kind: kind ?? body.kind ?? 'board',
    name: body.name ?? '',
    description: body.description ?? '',
    parentId: body.parent_id ?? '',
    displayOrder: body.display_order ?? '0',
    membersOnly: body.members_only === '1',
    threadTypes: body.thread_types ?? ''
  }
}

function inputOf (form: BoardForm): { input: BoardInput, errors: NodeErrors } {
  const errors: NodeErrors = {}
  const parent = parseParentId(form.parentId)
  if (!parent.ok) errors.parentId = boardMessages.parentMissing
  const types = parseThreadTypes(form.threadTypes)
  if (!types.ok) errors.threadTypes = types.error
  return {
    input: {
      name: form.name,
      description: form.description,
      parentId: parent.ok ? parent.id : null,
      displayOrder: parseDisplayOrder(form.displayOrder),
      guestVisible: !form.membersOnly,
      threadTypes: types.ok ? types.labels : []
    },
    errors
  }
}

const blankForm: BoardForm = { kind: 'board', name: '', description: '', parentId: '', displayOrder: '0', membersOnly: false, threadTypes: '' }

export default async function boardsRoutes (app: FastifyInstance, opts: { service: StructureService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service.boards
  const crumbs = (...tail: Array<{ label: string, url?: string }>): Array<{ label: string, url?: string }> => [{ label: '管理中心', url: '/admin' }, ...tail]
  const actorOf = (request: FastifyRequest): StructureActor => ({ id: app.requirePermission(request, { action: 'admin' }).id, now: app.clock.now(), requestId: request.id })

  /** Where a board may hang: groups, and boards directly under a group (the service says why anything else is refused). */
  const parentsFor = (flat: Array<BoardAdminRow & { depth: number }>, self: BoardAdminRow | null): Array<BoardAdminRow & { depth: number }> =>
    flat.filter((b) => b.depth <= 1 && (self === null || (b.id !== self.id && b.parent_id !== self.id)))

  const renderList = async (reply: FastifyReply, view: { form?: BoardForm, errors?: NodeErrors, notice?: string, error?: string } = {}): Promise<FastifyReply> => {
    const flat = flattenTree(await service.list())
    return await reply.render('admin/boards.njk', {
      adminActive: 'boards', adminTitle: '论坛版块', crumbs: crumbs({ label: '论坛版块' }),
      rows: flat, parents: parentsFor(flat, null), form: view.form ?? blankForm, errors: view.errors ?? {},
      notice: view.notice ?? '', error: view.error ?? '', nameMax: NODE_NAME_MAX, typeMax: THREAD_TYPE_MAX, isNew: true
    })
  }

  const renderEdit = async (reply: FastifyReply, board: BoardAdminRow, view: { form?: BoardForm, errors?: NodeErrors, moderatorNotice?: string } = {}): Promise<FastifyReply> => {
    const flat = flattenTree(await service.list())
    const kind: BoardKind = board.is_group ? 'group' : 'board'
    const form = view.form ?? {
      kind, name: board.name, description: board.description, parentId: String(board.parent_id ?? ''), displayOrder: String(board.display_order),
      membersOnly: !board.guest_visible, threadTypes: board.thread_types.join('\n')
    }
    return await reply.render('admin/board-edit.njk', {
      adminActive: 'boards', adminTitle: `编辑${board.is_group ? '分区' : '版块'}：${board.name}`,
      crumbs: crumbs({ label: '论坛版块', url: '/admin/boards' }, { label: board.name }),
      board, form, errors: view.errors ?? {}, parents: parentsFor(flat, board), nameMax: NODE_NAME_MAX, typeMax: THREAD_TYPE_MAX, isNew: false,
      // 版主 (src/features/board-moderators): the list and the outcome of the last add/remove.
      moderators: board.is_group ? [] : await app.boardModerators.listForBoard(board.id),
      moderatorNotice: MODERATOR_NOTICES[view.moderatorNotice ?? ''] ?? null
    })
  }

  const found = async (rawId: string): Promise<BoardAdminRow> => {
    const board = await service.get(parseId(rawId, boardMessages.notFound))
    if (board === null) throw notFound(boardMessages.notFound)
    return board
  }

  r.get('/admin/boards', {
    schema: { querystring: Type.Object({ done: text(10) }) },
    config: { rateLimit: STRUCTURE_RATE_LIMIT }
  }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderList(reply, { notice: DONE[request.query.done ?? ''] ?? '' })
  })

  r.post('/admin/boards', { schema: { body: boardBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const form = formOf(request.body)
    const { input, errors } = inputOf(form)
    const result = Object.keys(errors).length > 0 ? { ok: false as const, errors } : await service.create(form.kind, input, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { form, errors: result.errors })
    }
    return await reply.redirect('/admin/boards?done=created', 303)
  })

  r.get('/admin/boards/:id/edit', { schema: { params: idParams, querystring: Type.Object({ mod: text(16) }) }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderEdit(reply, await found(request.params.id), { moderatorNotice: request.query.mod })
  })

  r.post('/admin/boards/:id', { schema: { params: idParams, body: boardBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const board = await found(request.params.id)
    // A group stays a group and a board a board: the kind is not taken from the form here.
    const form = formOf(request.body, board.is_group ? 'group' : 'board')
    const { input, errors } = inputOf(form)
    const result = Object.keys(errors).length > 0 ? { ok: false as const, errors } : await service.update(board.id, input, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderEdit(reply, board, { form, errors: result.errors })
    }
    return await reply.redirect('/admin/boards?done=saved', 303)
  })

  r.post('/admin/boards/:id/order', { schema: { params: idParams, body: orderBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const board = await found(request.params.id)
    const result = await service.reorder(board.id, request.body.dir, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { error: result.message })
    }
    return await reply.redirect('/admin/boards?done=ordered', 303)
  })

  r.post('/admin/boards/:id/delete', { schema: { params: idParams, body: Type.Object({ _csrf: text(200) }) }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const board = await found(request.params.id)
    const result = await service.remove(board.id, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { error: result.message })
    }
    return await reply.redirect('/admin/boards?done=deleted', 303)
  })
}
