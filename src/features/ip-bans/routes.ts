import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseId } from '../../lib/http-errors'
import { IP_BAN_DURATIONS, messages, type IpBanFormErrors, type IpBanInput, type IpBansService } from './service'

/** /admin/ip-bans (禁止 IP): HTTP only, admins only. */

const PER_PAGE = 30
const ADMIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const
const Text = Type.Optional(Type.String({ maxLength: 400 }))
const ListQuery = Type.Object({ before: Type.Optional(Type.String({ maxLength: 12 })), done: Type.Optional(Type.String({ maxLength: 8 })) })
const AddBody = Type.Object({ _csrf: Text, range: Text, reason: Text, duration: Text })
const IdParams = Type.Object({ id: Type.String({ maxLength: 12 }) })
const DeleteBody = Type.Object({ _csrf: Text })

function parseBefore (raw: string | undefined): number | undefined {
  return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : undefined
}

export default async function ipBanRoutes (app: FastifyInstance, opts: { service: IpBansService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service

  const render = async (reply: import('fastify').FastifyReply, ip: string, before: number | undefined, extra: { notice?: string, form?: IpBanInput, errors?: IpBanFormErrors }): Promise<import('fastify').FastifyReply> => {
    const { rows, nextBefore } = await service.page(PER_PAGE, before)
    return await reply.render('ip-bans/list.njk', {
      adminActive: 'ip-bans', adminTitle: '禁止 IP', crumbs: [{ label: '管理中心', url: '/admin' }, { label: '禁止 IP' }],
      rows, nextBefore, now: app.clock.now(), yourIp: ip, durations: IP_BAN_DURATIONS,
      form: extra.form ?? { duration: 'forever' }, errors: extra.errors ?? {}, notice: extra.notice ?? ''
    })
  }

  r.get('/admin/ip-bans', { schema: { querystring: ListQuery }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const done = request.query.done
    const notice = done === 'added' ? messages.added : done === 'removed' ? messages.removed : ''
    return await render(reply, request.ip, parseBefore(request.query.before), { notice })
  })

  r.post('/admin/ip-bans', { schema: { body: AddBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const errors = await service.add(admin.id, request.ip, request.body, request.id)
    if (errors !== null) {
      reply.code(400)
      return await render(reply, request.ip, undefined, { form: request.body, errors })
    }
    return await reply.redirect('/admin/ip-bans?done=added', 303)
  })

  r.post('/admin/ip-bans/:id/delete', { schema: { params: IdParams, body: DeleteBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    await service.remove(admin.id, parseId(request.params.id), request.id)
    return await reply.redirect('/admin/ip-bans?done=removed', 303)
  })
}
