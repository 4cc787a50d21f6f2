import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound, parseId } from '../../lib/http-errors'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { boardModeratorMessages, type BoardModeratorsService } from './service'

/**
 * 版主 on the admin board edit page (/admin/boards/:id/edit lists them, src/features/structure):
 * two plain POST forms, each answered with a 303 back to the edit page, whose `mod` query names
 * the outcome (MODERATOR_NOTICES): a refusal changes nothing and says why there.
 */

export const MODERATOR_NOTICES: Readonly<Record<string, { ok: boolean, text: string }>> = {
  added: { ok: true, text: '已添加版主' },
  removed: { ok: true, text: '已移除版主' },
  ...Object.fromEntries(Object.entries(boardModeratorMessages).map(([key, text]) => [key, { ok: false, text }]))
}

const codeOf = (message: string): string => Object.entries(boardModeratorMessages).find(([, text]) => text === message)?.[0] ?? 'noUser'

const BoardParams = Type.Object({ id: Type.String({ maxLength: 12 }) })
const RemoveParams = Type.Object({ id: Type.String({ maxLength: 12 }), uid: Type.String({ maxLength: 12 }) })
const AddBody = Type.Object({ username: Type.Optional(Type.String({ maxLength: 64 })) })
const RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const

export default async function boardModeratorRoutes (app: FastifyInstance, opts: { service: BoardModeratorsService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service
  app.addHook('preValidation', emptyFormWhenBodiless)
  const editUrl = (boardId: number, code: string): string => `/admin/boards/${boardId}/edit?mod=${code}#moderators`

  r.post('/admin/boards/:id/moderators', { schema: { params: BoardParams, body: AddBody }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const boardId = parseId(request.params.id, boardModeratorMessages.boardNotFound)
    const result = await service.add({ id: admin.id, now: app.clock.now(), requestId: request.id }, boardId, request.body.username ?? '')
    if (!result.ok && result.message === boardModeratorMessages.boardNotFound) throw notFound(result.message)
    return await reply.redirect(editUrl(boardId, result.ok ? 'added' : codeOf(result.message)), 303)
  })

  r.post('/admin/boards/:id/moderators/:uid/delete', { schema: { params: RemoveParams }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const boardId = parseId(request.params.id, boardModeratorMessages.boardNotFound)
    const userId = parseId(request.params.uid, boardModeratorMessages.notModerator)
    const result = await service.remove({ id: admin.id, now: app.clock.now(), requestId: request.id }, boardId, userId)
    if (!result.ok && result.message === boardModeratorMessages.boardNotFound) throw notFound(result.message)
    return await reply.redirect(editUrl(boardId, result.ok ? 'removed' : codeOf(result.message)), 303)
  })
}
