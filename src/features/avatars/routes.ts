import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AVATAR_REDIRECT_MAX_AGE, defaultAvatarSvg, isAvatarSize, type AvatarSize } from '../../lib/avatar'
import { HttpError, badRequest } from '../../lib/http-errors'
import { SIGNATURE_MAX } from '../../lib/signature'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { uploadMessages } from '../uploads'

/** /settings/avatar (头像 upload, reset, 签名), /uc_server/avatar.php and /avatar/default/<uid>/<size>.svg: HTTP only. */

const UPLOAD_RATE_LIMIT = {
  max: 10,
  timeWindow: '1 minute',
  hook: 'preHandler' as const,
  keyGenerator: (request: FastifyRequest): string => request.session.userId === undefined ? `avatar:ip:${request.ip}` : `avatar:u:${request.session.userId}`
}
const FORM_RATE_LIMIT = { max: 20, timeWindow: '1 minute' } as const
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) }
const LegacyQuery = Type.Object({
  uid: Type.Optional(Type.String({ maxLength: 20 })),
  size: Type.Optional(Type.String({ maxLength: 10 })),
  // Discuz's other parameters (type=virtual, random=1) are accepted and ignored.
  type: Type.Optional(Type.String({ maxLength: 20 })),
  random: Type.Optional(Type.String({ maxLength: 20 }))
})
const DefaultParams = Type.Object({ uid: Type.String({ maxLength: 12 }), size: Type.String({ maxLength: 10 }) })
const SAVED: Readonly<Record<string, string>> = { avatar: '头像已更新', reset: '已恢复默认头像', signature: '签名已保存' }

function multipartRefusal (err: unknown, maxBytes: number): HttpError | null {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpError(413, uploadMessages.tooLarge(maxBytes))
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA') return badRequest(uploadMessages.empty)
  if (code.startsWith('FST_') || /multipart|boundary|unexpected end/i.test((err as Error).message ?? '')) return badRequest(uploadMessages.corrupt)
  return null
}

const loginFirst = (): HttpError => new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: '/login?return=' + encodeURIComponent('/settings/avatar') })

export default async function avatarRoutes (app: FastifyInstance): Promise<void> {
  await app.register(multipart, { limits: { files: 1, fields: 2, fieldSize: 256, parts: 3, headerPairs: 50, fieldNameSize: 50 } })
  app.addHook('preValidation', emptyFormWhenBodiless)
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const crumbs = [{ label: '设置', url: '/settings' }, { label: '头像与签名' }]

  const renderPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> => {
    const user = request.user
    if (user === null) throw loginFirst()
    return await reply.render('members/avatar.njk', {
      crumbs,
      avatar: await app.avatars.urls(user.id),
      signature: await app.signatures.get(user.id),
      signatureMax: SIGNATURE_MAX,
      ...extra
    })
  }

  r.get('/settings/avatar', { schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 16 })) }) } }, async (request, reply) => {
    return await renderPage(request, reply, { saved: SAVED[request.query.saved ?? ''] ?? null })
  })

  // Multipart: the form token rides in the action URL (`?_csrf=`), as on every upload form.
  r.post('/settings/avatar', { schema: { querystring: Type.Object(Csrf) }, config: { rateLimit: UPLOAD_RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst()
    const maxBytes = await app.settings.getNumber('upload_max_bytes')
    try {
      // The bytes decide what the picture is; the file's name and declared type are never read.
      const file = await request.file({ limits: { fileSize: maxBytes } })
      if (file === undefined) throw badRequest(uploadMessages.empty)
      await app.avatars.setFromImage(user.id, await file.toBuffer(), { maxBytes })
    } catch (err) {
      const refusal = err instanceof HttpError ? err : multipartRefusal(err, maxBytes)
      if (refusal === null) throw err
      reply.code(refusal.statusCode)
      return await renderPage(request, reply, { avatarError: refusal.message })
    }
    return await reply.redirect('/settings/avatar?saved=avatar', 303)
  })

  r.post('/settings/avatar/reset', { schema: { body: Type.Object(Csrf) }, config: { rateLimit: FORM_RATE_LIMIT } }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst()
    await app.avatars.reset(user.id)
    return await reply.redirect('/settings/avatar?saved=reset', 303)
  })

  r.post('/settings/signature', {
    schema: { body: Type.Object({ ...Csrf, signature: Type.Optional(Type.String({ maxLength: 2000 })) }) },
    config: { rateLimit: FORM_RATE_LIMIT }
  }, async (request, reply) => {
    const user = request.user
    if (user === null) throw loginFirst()
    try {
      await app.signatures.set(user.id, request.body.signature ?? '')
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      reply.code(err.statusCode)
      return await renderPage(request, reply, { signatureError: err.message, signatureDraft: request.body.signature ?? '' })
    }
    return await reply.redirect('/settings/avatar?saved=signature#signature', 303)
  })

  // Discuz's avatar URL: 301 to the stored picture of that size, or to the generated default. The
  // redirect is the same for every visitor, so it is public and kept AVATAR_REDIRECT_MAX_AGE seconds;
  // `immutable` also keeps the member-page hook from marking it no-store (src/plugins/auth.ts), and is
  // true for its lifetime (a browser need not revalidate a redirect that is only ten minutes old).
  r.get('/uc_server/avatar.php', { schema: { querystring: LegacyQuery } }, async (request, reply) => {
    const raw = request.query.uid ?? ''
    const uid = /^\d{1,10}$/.test(raw) ? Number(raw) : 0
    const size: AvatarSize = isAvatarSize(request.query.size) ? request.query.size : 'middle'
    const urls = uid > 0 ? await app.avatars.urls(uid) : null
    const target = urls === null ? `/avatar/default/${uid}/${size}.svg` : urls[size]
    return await reply.header('Cache-Control', `public, max-age=${AVATAR_REDIRECT_MAX_AGE}, immutable`).redirect(target, 301)
  })

  r.get('/avatar/default/:uid/:size', {
    schema: { params: DefaultParams },
    onSend: (_request, reply, payload, done) => {
      if (reply.statusCode < 400) reply.removeHeader('set-cookie')
      done(null, payload)
    }
  }, async (request, reply) => {
    const uid = /^\d{1,10}$/.test(request.params.uid) ? Number(request.params.uid) : 0
    const size = request.params.size.replace(/\.svg$/, '')
    if (!isAvatarSize(size) || !request.params.size.endsWith('.svg')) throw new HttpError(404, '抱歉，您访问的页面不存在')
    const name = uid > 0 ? await app.avatars.username(uid) : null
    return await reply
      .type('image/svg+xml; charset=utf-8')
      // A default is drawn from the name, which an admin may change: a day, not a year.
      .header('Cache-Control', 'public, max-age=86400, immutable')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(defaultAvatarSvg(uid, name ?? '?', size))
  })
}
