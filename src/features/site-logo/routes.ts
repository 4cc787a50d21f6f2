import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, badRequest } from '../../lib/http-errors'
import type { SiteLogoService } from './service'

/** POST /admin/settings/logo (multipart, token in `?_csrf=`) and /admin/settings/logo/reset: HTTP only, admins only. */

const ADMIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const

/** The upload page's words for the same causes; a picture's own faults come from app.uploads.storeImage. */
const messages = {
  empty: '请选择要上传的图片',
  tooLarge: (maxBytes: number) => `图片太大了，最大 ${Math.round(maxBytes / 1024 / 1024 * 10) / 10} MB，请压缩后再上传`,
  corrupt: '图片文件已损坏或不完整，无法读取，请换一张图片'
} as const

function multipartRefusal (err: unknown, maxBytes: number): HttpError | null {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpError(413, messages.tooLarge(maxBytes))
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA') return badRequest(messages.empty)
  if (code.startsWith('FST_') || /multipart|boundary|unexpected end/i.test((err as Error).message ?? '')) return badRequest(messages.corrupt)
  return null
}

export default async function siteLogoRoutes (app: FastifyInstance, opts: { service: SiteLogoService }): Promise<void> {
  // Only these routes parse multipart bodies: one file, no other fields.
  await app.register(multipart, { limits: { files: 1, fields: 2, fieldSize: 256, parts: 3, headerPairs: 50, fieldNameSize: 50 } })
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const crumbs = [{ label: '管理中心', url: '/admin' }, { label: '站点设置', url: '/admin/settings' }, { label: '站点 Logo' }]

  const refuse = async (reply: FastifyReply, err: HttpError): Promise<FastifyReply> => {
    // The refusal with the form again; the logo in use is unchanged.
    return await reply.code(err.statusCode).render('admin/logo.njk', { adminActive: 'settings', adminTitle: '站点 Logo', crumbs, logoError: err.message })
  }

  r.post('/admin/settings/logo', {
    schema: { querystring: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const maxBytes = await app.settings.getNumber('upload_max_bytes')
    let url: string
    try {
      // The bytes decide what the picture is (storeImage sniffs and re-encodes); name and type are not read.
      const file = await request.file({ limits: { fileSize: maxBytes } })
      if (file === undefined) throw badRequest(messages.empty)
      const image = await app.uploads.storeImage(await file.toBuffer(), { purpose: 'logo', userId: admin.id })
      // The column-width copy: a logo is shown 40 px high, the original may be a large photo.
      url = image.mediumUrl
    } catch (err) {
      const refusal = err instanceof HttpError ? err : multipartRefusal(err, maxBytes)
      if (refusal === null) throw err
      return await refuse(reply, refusal)
    }
    await opts.service.setLogo(url, { actorId: admin.id, now: app.clock.now(), requestId: request.id })
    return await reply.redirect('/admin/settings?saved=logo', 303)
  })

  r.post('/admin/settings/logo/reset', {
    schema: { body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    await opts.service.resetLogo({ actorId: admin.id, now: app.clock.now(), requestId: request.id })
    return await reply.redirect('/admin/settings?saved=logo', 303)
  })
}
