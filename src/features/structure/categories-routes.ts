import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound, parseId } from '../../lib/http-errors'
import { flattenTree, parseDisplayOrder, parseParentId, NODE_NAME_MAX, type NodeErrors } from '../../lib/structure-form'
import { categoryMessages, type CategoryAdminRow, type CategoryInput } from '../portal'
import type { StructureActor, StructureService } from './service'
import { categoryEditorsRoutes } from '../category-editors'

/** /admin/categories (门户频道): HTTP only, admins only; every form posts, then 303s back. */

export const STRUCTURE_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const

const text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const csrfOnly = Type.Object({ _csrf: text(200) })
const categoryBody = Type.Object({
  _csrf: text(200),
  name: text(200),
  description: text(1000),
  parent_id: text(12),
  display_order: text(12),
  allow_comments: text(4)
})
const idParams = Type.Object({ id: Type.String({ maxLength: 12 }) })
const orderBody = Type.Object({ _csrf: text(200), dir: Type.Union([Type.Literal('up'), Type.Literal('down')]) })
const moveBody = Type.Object({ _csrf: text(200), target_id: text(12) })

const DONE: Record<string, string> = {
  created: '分类已创建', saved: '分类已保存', ordered: '显示顺序已调整', moved: '文章已移动', deleted: '分类已删除'
}

const EDITOR_DONE: Record<string, string> = { granted: '已授予编辑权限', revoked: '已收回编辑权限' }

interface CategoryForm { name: string, description: string, parentId: string, displayOrder: string, allowComments: boolean }

function formOf (body: { name?: string, description?: string, parent_id?: string, display_order?: string, allow_comments?: string }): CategoryForm {
  return { name: body.name ?? '', description: body.description ?? '', parentId: body.parent_id ?? '', displayOrder: body.display_order ?? '0', allowComments: body.allow_comments === '1' }
}

/** The form as the service takes it, or the field errors of what cannot even be parsed. */
function inputOf (form: CategoryForm): { input: CategoryInput, errors: NodeErrors } {
  const parent = parseParentId(form.parentId)
  const input = { name: form.name, description: form.description, parentId: parent.ok ? parent.id : null, displayOrder: parseDisplayOrder(form.displayOrder), allowComments: form.allowComments }
  return { input, errors: parent.ok ? {} : { parentId: categoryMessages.parentMissing } }
}

const blankForm: CategoryForm = { name: '', description: '', parentId: '', displayOrder: '0', allowComments: true }

export default async function categoriesRoutes (app: FastifyInstance, opts: { service: StructureService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service.categories
  const crumbs = (...tail: Array<{ label: string, url?: string }>): Array<{ label: string, url?: string }> => [{ label: '管理中心', url: '/admin' }, ...tail]
  const actorOf = (request: FastifyRequest): StructureActor => ({ id: app.requirePermission(request, { action: 'admin' }).id, now: app.clock.now(), requestId: request.id })

  const renderList = async (reply: FastifyReply, view: { form?: CategoryForm, errors?: NodeErrors, notice?: string, error?: string } = {}): Promise<FastifyReply> => {
    const { rows, articles } = await service.list()
    const flat = flattenTree(rows)
    return await reply.render('admin/categories.njk', {
      adminActive: 'categories', adminTitle: '门户频道', crumbs: crumbs({ label: '门户频道' }),
      rows: flat.map((c) => ({ ...c, articles: articles.get(c.id) ?? 0 })),
      parents: flat, form: view.form ?? blankForm, errors: view.errors ?? {}, notice: view.notice ?? '', error: view.error ?? '', nameMax: NODE_NAME_MAX
    })
  }

  const renderEdit = async (reply: FastifyReply, category: CategoryAdminRow, view: { form?: CategoryForm, errors?: NodeErrors, error?: string, editorError?: string, editorName?: string, editorNotice?: string } = {}): Promise<FastifyReply> => {
    const { rows, articles } = await service.list()
    const flat = flattenTree(rows)
    // A category cannot go under itself or its descendants: those are left out of the parent list (the service refuses them anyway).
    const below = new Set<number>([category.id])
    for (const c of flat) if (c.parent_id !== null && below.has(c.parent_id)) below.add(c.id)
    const form = view.form ?? { name: category.name, description: category.description, parentId: String(category.parent_id ?? ''), displayOrder: String(category.display_order), allowComments: category.allow_comments }
    return await reply.render('admin/category-edit.njk', {
      adminActive: 'categories', adminTitle: `编辑分类：${category.name}`, crumbs: crumbs({ label: '门户频道', url: '/admin/categories' }, { label: category.name }),
      category, form, errors: view.errors ?? {}, error: view.error ?? '', nameMax: NODE_NAME_MAX,
      parents: flat.filter((c) => !below.has(c.id)), targets: flat.filter((c) => c.id !== category.id), articles: articles.get(category.id) ?? 0,
      // 频道编辑 (src/features/category-editors): the section's list, message and typed name.
      editors: await app.categoryEditors.list(category.id), editorError: view.editorError ?? '', editorName: view.editorName ?? '', editorNotice: view.editorNotice ?? ''
    })
  }

  const found = async (rawId: string): Promise<CategoryAdminRow> => {
    const category = await service.get(parseId(rawId, categoryMessages.notFound))
    if (category === null) throw notFound(categoryMessages.notFound)
    return category
  }

  r.get('/admin/categories', {
    schema: { querystring: Type.Object({ done: text(10) }) },
    config: { rateLimit: STRUCTURE_RATE_LIMIT }
  }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderList(reply, { notice: DONE[request.query.done ?? ''] ?? '' })
  })

  r.post('/admin/categories', { schema: { body: categoryBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const form = formOf(request.body)
    const { input, errors } = inputOf(form)
    const result = Object.keys(errors).length > 0 ? { ok: false as const, errors } : await service.create(input, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { form, errors: result.errors })
    }
    return await reply.redirect('/admin/categories?done=created', 303)
  })

  r.get('/admin/categories/:id/edit', { schema: { params: idParams, querystring: Type.Object({ editors: text(10) }) }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderEdit(reply, await found(request.params.id), { editorNotice: EDITOR_DONE[request.query.editors ?? ''] ?? '' })
  })
  await app.register(categoryEditorsRoutes, { rateLimit: STRUCTURE_RATE_LIMIT, found, renderEdit })

  r.post('/admin/categories/:id', { schema: { params: idParams, body: categoryBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const category = await found(request.params.id)
    const form = formOf(request.body)
    const { input, errors } = inputOf(form)
    const result = Object.keys(errors).length > 0 ? { ok: false as const, errors } : await service.update(category.id, input, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderEdit(reply, category, { form, errors: result.errors })
    }
    return await reply.redirect('/admin/categories?done=saved', 303)
  })

  r.post('/admin/categories/:id/order', { schema: { params: idParams, body: orderBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const category = await found(request.params.id)
    const result = await service.reorder(category.id, request.body.dir, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { error: result.message })
    }
    return await reply.redirect('/admin/categories?done=ordered', 303)
  })

  r.post('/admin/categories/:id/move-articles', { schema: { params: idParams, body: moveBody }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const category = await found(request.params.id)
    const target = parseParentId(request.body.target_id)
    const result = await service.moveArticles(category.id, target.ok ? target.id : null, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderEdit(reply, category, { error: result.message })
    }
    return await reply.redirect('/admin/categories?done=moved', 303)
  })

  r.post('/admin/categories/:id/delete', { schema: { params: idParams, body: csrfOnly }, config: { rateLimit: STRUCTURE_RATE_LIMIT } }, async (request, reply) => {
    const actor = actorOf(request)
    const category = await found(request.params.id)
    const result = await service.remove(category.id, actor)
    if (!result.ok) {
      reply.code(400)
      return await renderList(reply, { error: result.message })
    }
    return await reply.redirect('/admin/categories?done=deleted', 303)
  })
}
