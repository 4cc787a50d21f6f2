import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, badRequest, notFound } from '../../lib/http-errors'
import { parseUploadKey } from '../../lib/upload-keys'
import { wantsJson } from '../../plugins/errors'
import { formatBytes, uploadMessages, type StoredImage } from './service'

/**
 * Uploads per member and minute. Each one is decoded and encoded three times (~50–500 ms of a core for
 * a photo), so the limit is what keeps uploading from becoming a way to load the server.
 */
export const UPLOAD_RATE_LIMIT = { max: 20, timeWindow: '1 minute' } as const

/** The caption field's longest value (characters), and the Markdown placeholder when it is empty. */
const ALT_MAX = 100
const DEFAULT_ALT = '说明'

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** The Markdown line to paste into an article: the column-width copy, with its caption. */
export function markdownFor (image: StoredImage, alt: string): string {
  const text = alt.replace(/[[\]\\\r\n]/g, ' ').trim()
  return `![${text === '' ? DEFAULT_ALT : text}](${image.mediumUrl})`
}

function fieldValue (field: unknown): string {
  const f = (Array.isArray(field) ? field[0] : field) as { type?: string, value?: unknown } | undefined
  return f?.type === 'field' && typeof f.value === 'string' ? [...f.value].slice(0, ALT_MAX).join('') : ''
}

/** @fastify/multipart's errors as the Chinese refusals of the service (same words for the same cause). */
function multipartRefusal (err: unknown, maxBytes: number): HttpError | null {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new HttpError(413, uploadMessages.tooLarge(maxBytes))
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA') return badRequest(uploadMessages.empty)
  if (code.startsWith('FST_') || /multipart|boundary|unexpected end/i.test((err as Error).message ?? '')) return badRequest(uploadMessages.corrupt)
  return null
}

export default async function uploadsRoutes (app: FastifyInstance): Promise<void> {
  // Registered here, so only these routes parse multipart bodies. The file size is checked per request
  // against the setting (request.file's limits); these are the bounds of everything else in the body.
  await app.register(multipart, {
    limits: { files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 50, fieldNameSize: 50 }
  })
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  const renderForm = async (reply: FastifyReply, data: Record<string, unknown>): Promise<FastifyReply> => {
    return await reply.render('uploads/new.njk', {
      maxSize: formatBytes(await app.settings.getNumber('upload_max_bytes')),
      crumbs: [{ label: '上传图片' }],
      ...data
    })
  }

  r.get('/uploads/new', {
    schema: { querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 64 })), alt: Type.Optional(Type.String({ maxLength: 300 })) }) }
  }, async (request, reply) => {
    app.requirePermission(request, { action: 'upload' })
    const done = request.query.done === undefined ? null : await app.uploads.byHash(request.query.done)
    const alt = request.query.alt ?? ''
    return await renderForm(reply, { done, alt, markdown: done === null ? '' : markdownFor(done, alt) })
  })

  r.post('/uploads', {
    config: {
      rateLimit: {
        ...UPLOAD_RATE_LIMIT,
        // After auth (preHandler), so a member's uploads are counted together whatever their address.
        hook: 'preHandler',
        keyGenerator: (request: FastifyRequest): string => request.session.userId === undefined ? `upload:ip:${request.ip}` : `upload:u:${request.session.userId}`
      }
    }
  }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'upload' })
    const maxBytes = await app.settings.getNumber('upload_max_bytes')
    let alt = ''
    let image: StoredImage
    try {
      // The file's name and declared type are never read: the bytes decide (storeImage).
      const file = await request.file({ limits: { fileSize: maxBytes } })
      if (file === undefined) throw badRequest(uploadMessages.empty)
      alt = fieldValue(file.fields.alt)
      const bytes = await file.toBuffer()
      image = await app.uploads.storeImage(bytes, { purpose: 'article', userId: user.id })
    } catch (err) {
      const refusal = err instanceof HttpError ? err : multipartRefusal(err, maxBytes)
      if (refusal === null) throw err
      if (wantsJson(request)) throw refusal
      // Without JavaScript: the form again with the reason; nothing was stored.
      return await renderForm(reply.code(refusal.statusCode), { error: refusal.message, alt })
    }
    if (wantsJson(request)) {
      return { url: image.url, mediumUrl: image.mediumUrl, thumbUrl: image.thumbUrl, markdown: markdownFor(image, alt), width: image.width, height: image.height }
    }
    const query = new URLSearchParams({ done: image.hash })
    if (alt !== '') query.set('alt', alt)
    return await reply.code(303).redirect(`/uploads/new?${query.toString()}`)
  })

  /**
   * Stored pictures. Only keys of the service's own shape reach the storage (anything else, traversal
   * attempts included, is a 404 before a file is touched); the content type is the stored one.
   */
  r.get('/uploads/*', {
    schema: { params: Type.Object({ '*': Type.String({ maxLength: 200 }) }) },
    // A public, year-long response must not carry the member's rolling session cookie: a shared cache
    // (a CDN in front of /uploads/) would hand it to everyone. (Route hooks run after the app's, so
    // this comes after the session plugin has set it.) The session's expiry moves with the next page.
    onSend: (_request, reply, payload, done) => {
      if (reply.statusCode < 400) reply.removeHeader('set-cookie')
      done(null, payload)
    }
  }, async (request, reply) => {
    const key = request.params['*']
    if (parseUploadKey(key) === null) throw notFound()
    const etag = `"${key.slice(6).replace(/\.[a-z]+$/, '')}"`
    if (request.headers['if-none-match'] === etag) {
      return await reply.code(304).header('Cache-Control', IMMUTABLE).header('ETag', etag).send()
    }
    const object = await app.uploads.storage.get(key)
    if (object === null) throw notFound()
    return await reply
      .header('Content-Type', object.contentType)
      .header('Content-Length', object.size)
      .header('Cache-Control', IMMUTABLE)
      .header('ETag', etag)
      .header('X-Content-Type-Options', 'nosniff')
      .send(object.body)
  })
}
