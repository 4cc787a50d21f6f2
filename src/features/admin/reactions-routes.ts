import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError } from '../../lib/http-errors'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'

/**
 * 表态 /admin/reactions: each kind's name, icon and switch, and its place in the order, over
 * `app.reactions.admin`. Admins only; each change is audited by the service. HTTP only.
 */

const KeyParams = Type.Object({ key: Type.String({ maxLength: 16 }) })
const KindBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 200 })),
  icon: Type.Optional(Type.String({ maxLength: 200 })),
  enabled: Type.Optional(Type.String({ maxLength: 8 }))
})
const MoveBody = Type.Object({ direction: Type.Union([Type.Literal('up'), Type.Literal('down')]) })
const DoneQuery = Type.Object({ done: Type.Optional(Type.String({ maxLength: 8 })) })
const LIMIT = { rateLimit: { max: 60, timeWindow: '1 minute' } }
const DONE: Record<string, string> = { saved: '表态已保存，前台将在 5 秒内更新', moved: '顺序已调整' }

interface Typed { key: string, name: string, icon: string, enabled: boolean, error: string }

export default async function adminReactionsRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const kinds = app.reactions.admin
  app.addHook('preValidation', emptyFormWhenBodiless)
  const crumbs = [{ label: '管理中心', url: '/admin' }, { label: '表态' }]

  async function render (reply: FastifyReply, notice: string, typed: Typed | null = null): Promise<FastifyReply> {
    const rows = (await kinds.list()).map((k, i, all) => ({
      ...k, ...(typed?.key === k.key ? { name: typed.name, icon: typed.icon, enabled: typed.enabled, error: typed.error } : {}),
      first: i === 0, last: i === all.length - 1
    }))
    return await reply.render('admin/reactions.njk', { adminActive: 'reactions', adminTitle: '表态', crumbs, notice, rows, icons: kinds.icons })
  }

  r.get('/admin/reactions', { config: LIMIT, schema: { querystring: DoneQuery } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await render(reply, DONE[request.query.done ?? ''] ?? '')
  })

  r.post('/admin/reactions/:key', { config: LIMIT, schema: { params: KeyParams, body: KindBody } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const change = { name: request.body.name ?? '', icon: request.body.icon ?? '', enabled: request.body.enabled === '1' }
    const result = await kinds.update(request.params.key, change, { actorId: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) {
      if (result.status === 404) throw new HttpError(404, result.error)
      reply.code(400)
      return await render(reply, '', { key: request.params.key, ...change, error: result.error })
    }
    return await reply.redirect('/admin/reactions?done=saved', 303)
  })

  r.post('/admin/reactions/:key/move', { config: LIMIT, schema: { params: KeyParams, body: MoveBody } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const result = await kinds.move(request.params.key, request.body.direction, { actorId: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) throw new HttpError(result.status, result.error)
    return await reply.redirect('/admin/reactions?done=moved', 303)
  })
}
