import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseId } from '../../lib/http-errors'
import type { CategoryAdminRow } from '../portal'
import { categoryEditorMessages } from './service'

/**
 * The 频道编辑 forms of /admin/categories/:id/edit: grant by username, revoke one editor. HTTP only,
 * admins only; each posts, then 303s back to the edit page. A refusal shows the edit page again (400)
 * with the message and the typed name, and changes nothing. Registered by the category routes, which
 * hand in how to find a category and render its edit page.
 */

export interface CategoryEditorsRouteOptions {
  rateLimit: { max: number, timeWindow: string }
  found: (rawId: string) => Promise<CategoryAdminRow>
  renderEdit: (reply: FastifyReply, category: CategoryAdminRow, view: { editorError?: string, editorName?: string }) => Promise<FastifyReply>
}

const params = Type.Object({ id: Type.String({ maxLength: 12 }) })
const revokeParams = Type.Object({ id: Type.String({ maxLength: 12 }), userId: Type.String({ maxLength: 12 }) })
const grantBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })), username: Type.Optional(Type.String({ maxLength: 100 })) })
const csrfOnly = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

export default async function categoryEditorsRoutes (app: FastifyInstance, opts: CategoryEditorsRouteOptions): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const config = { rateLimit: opts.rateLimit }

  r.post('/admin/categories/:id/editors', { schema: { params, body: grantBody }, config }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const category = await opts.found(request.params.id)
    const result = await app.categoryEditors.grant(category.id, request.body.username, { id: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) {
      reply.code(400)
      return await opts.renderEdit(reply, category, { editorError: result.message, editorName: request.body.username ?? '' })
    }
    return await reply.redirect(`/admin/categories/${category.id}/edit?editors=granted`, 303)
  })

  r.post('/admin/categories/:id/editors/:userId/revoke', { schema: { params: revokeParams, body: csrfOnly }, config }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const category = await opts.found(request.params.id)
    const userId = parseId(request.params.userId, categoryEditorMessages.notEditor)
    const result = await app.categoryEditors.revoke(category.id, userId, { id: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) {
      reply.code(400)
      return await opts.renderEdit(reply, category, { editorError: result.message })
    }
    return await reply.redirect(`/admin/categories/${category.id}/edit?editors=revoked`, 303)
  })
}
