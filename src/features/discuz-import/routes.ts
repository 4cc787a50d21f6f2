import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { legacyNotFound } from '../../lib/http-errors'
import { safeRelativePath } from './steps/site'

const IMAGE_TYPES: Readonly<Record<string, string>> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp' }

/** Discuz scripts luntan has no page for: a helpful 404 (with the search link) instead of a bare one. */
// search.php is not here: the search feature answers it (301 to /search).
const UNSERVED_SCRIPTS = ['group.php', 'plugin.php', 'userapp.php', 'connect.php', 'api.php', 'admin.php', 'source.php']

/**
 * The old attachment URLs (`/data/attachment/forum/…`, `/data/attachment/portal/…`) answer with the
 * file import:discuz copied under UPLOADS_DIR/discuz/, so imported posts, articles and links from
 * elsewhere keep working. Pictures are served as pictures; anything else only as a download (an old
 * `.html` attachment must never run as a page of this site).
 */
export default async function discuzRoutes (app: FastifyInstance, opts: { uploadsDir: string }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  r.get('/data/attachment/:kind/*', {
    schema: { params: Type.Object({ kind: Type.Union([Type.Literal('forum'), Type.Literal('portal')]), '*': Type.String({ maxLength: 300 }) }) },
    onSend: (_request, reply, payload, done) => {
      if (reply.statusCode < 400) reply.removeHeader('set-cookie')
      done(null, payload)
    }
  }, async (request, reply) => {
    const rel = safeRelativePath(request.params['*'])
    if (rel === null) throw legacyNotFound()
    const file = path.join(opts.uploadsDir, 'discuz', request.params.kind, rel)
    const stat = await fs.promises.stat(file).catch(() => null)
    if (stat === null || !stat.isFile()) throw legacyNotFound()
    const type = IMAGE_TYPES[path.extname(rel).toLowerCase()]
    void reply.header('Content-Length', stat.size).header('Cache-Control', 'public, max-age=2592000').header('X-Content-Type-Options', 'nosniff')
    if (type !== undefined) void reply.type(type)
    else void reply.type('application/octet-stream').header('Content-Disposition', 'attachment')
    return await reply.send(fs.createReadStream(file))
  })
  for (const script of UNSERVED_SCRIPTS) {
    r.get(`/${script}`, async () => { throw legacyNotFound() })
  }
}
