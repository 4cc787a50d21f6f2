import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, parseId } from '../../lib/http-errors'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { CHANNEL_NAMES, CHANNELS, PREF_KINDS, parseCursor } from './service'

/** /notifications (list, read all, settings) and 屏蔽用户 (/user/:uid/block, /settings/blocks): HTTP only. */

const RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const
const ListQuery = Type.Object({ before: Type.Optional(Type.String({ maxLength: 30 })) })
const UidParams = Type.Object({ uid: Type.String({ maxLength: 12 }) })
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) }
const PrefsBody = Type.Object({ ...Csrf, ...Object.fromEntries(PREF_KINDS.map((p) => [p.key, Type.Optional(Type.String({ maxLength: 8 }))])) })
const ReturnBody = Type.Object({ ...Csrf, return: Type.Optional(Type.String({ maxLength: 300 })) })

const loginFirst = (url: string): HttpError => new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: '/login?return=' + encodeURIComponent(url) })
/** Only our own paths: an open redirect would send a member anywhere after a click. */
const safeReturn = (raw: string | undefined, fallback: string): string => raw !== undefined && /^\/(?![/\\])/.test(raw) ? raw : fallback

export default async function notificationRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('preValidation', emptyFormWhenBodiless)

  r.get('/notifications', { schema: { querystring: ListQuery } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst(request.url)
    const before = parseCursor(request.query.before)
    const page = await app.notifications.page(user.id, before, app.clock.now())
    // The header counter reads the member row loaded before this page marked notices read.
    const shownUser = { ...user, unreadNotifications: page.unread }
    return await reply.render('notifications/list.njk', { user: shownUser, groups: page.groups, next: page.next, first: before === null, crumbs: [{ label: '提醒' }] })
  })

  r.post('/notifications/read-all', { schema: { body: Type.Object(Csrf) }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst('/notifications')
    await app.notifications.markAllRead(user.id, app.clock.now())
    return await reply.redirect('/notifications', 303)
  })

  r.get('/notifications/settings', { schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 2 })) }) } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst(request.url)
    return await reply.render('notifications/settings.njk', {
      prefs: await app.notifications.preferences(user.id),
      channels: CHANNELS.map((c) => ({ value: c, label: CHANNEL_NAMES[c] })),
      saved: request.query.saved === '1',
      crumbs: [{ label: '提醒', url: '/notifications' }, { label: '提醒设置' }]
    })
  })

  r.post('/notifications/settings', { schema: { body: PrefsBody }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst('/notifications/settings')
    await app.notifications.setPreferences(user.id, request.body)
    return await reply.redirect('/notifications/settings?saved=1', 303)
  })

  r.post('/user/:uid/block', { schema: { params: UidParams, body: ReturnBody }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    const uid = parseId(request.params.uid, '该用户不存在')
    if (user === null) throw loginFirst(`/user/${uid}`)
    await app.memberBlocks.block(user.id, uid, app.clock.now())
    return await reply.redirect(safeReturn(request.body.return, `/user/${uid}`), 303)
  })

  r.post('/user/:uid/unblock', { schema: { params: UidParams, body: ReturnBody }, config: { rateLimit: RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    const uid = parseId(request.params.uid, '该用户不存在')
    if (user === null) throw loginFirst(`/user/${uid}`)
    await app.memberBlocks.unblock(user.id, uid)
    return await reply.redirect(safeReturn(request.body.return, `/user/${uid}`), 303)
  })

  // Where an @mention links (src/lib/mentions.ts): the member's space, found by name as at login.
  r.get('/u/:name', { schema: { params: Type.Object({ name: Type.String({ maxLength: 60 }) }) } }, async (request, reply) => {
    const id = await app.notifications.memberIdByName(request.params.name)
    if (id === null) throw new HttpError(404, '抱歉，该用户不存在')
    return await reply.redirect(`/user/${id}`, 302)
  })

  r.get('/settings/blocks', async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst(request.url)
    return await reply.render('notifications/blocks.njk', {
      blocked: await app.memberBlocks.list(user.id),
      crumbs: [{ label: '设置', url: '/settings' }, { label: '屏蔽用户' }]
    })
  })
}
