import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseId } from '../../lib/http-errors'
import { PathParam } from '../../lib/route-schemas'
import { answerNotModified } from '../../plugins/guest-pages'
import { CATEGORY_NOT_FOUND } from '../portal'
import type { BuiltFeed } from './service'

/** `/rss.xml` and `/category/:catid/rss.xml` (Discuz's portal.php?mod=rss answers 301 here: the portal's routes). */

const RSS_TYPE = 'application/rss+xml; charset=utf-8'

export default async function feedRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  async function answer (request: Parameters<typeof answerNotModified>[0], reply: FastifyReply, feed: BuiltFeed): Promise<FastifyReply> {
    // ETag from the document, Last-Modified from the newest item, public for a minute (feed readers poll).
    if (answerNotModified(request, reply, feed.tag, feed.lastModified)) return await reply.code(304).send()
    return await reply.type(RSS_TYPE).send(feed.xml)
  }

  r.get('/rss.xml', async (request, reply) => {
    return await answer(request, reply, await app.feeds.feed(await app.siteOrigin(request), null))
  })

  r.get('/category/:catid/rss.xml', { schema: { params: Type.Object({ catid: PathParam }) } }, async (request, reply) => {
    const id = parseId(request.params.catid, CATEGORY_NOT_FOUND)
    return await answer(request, reply, await app.feeds.feed(await app.siteOrigin(request), id))
  })
}
