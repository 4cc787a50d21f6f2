import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { queryValue, type LegacyQuery } from '../../plugins/legacy-urls'

/**
 * Discuz's URLs, so old links and search results keep working: /forum.php through the shared
 * legacy-URL plugin (the darkroom answers there too), the static rewrite forms as our own routes.
 */

/**
 * Where Discuz's `/forum.php?…` URLs live now: the index, a board (forumdisplay), a thread
 * (viewthread) and the "last post" jump (redirect&goto=lastpost). Other modules of forum.php
 * (misc: the darkroom, …) belong to other features: null lets them answer.
 */
export function forumPhpTarget (query: LegacyQuery): string | null {
  const id = (name: string): string | null => {
    const raw = queryValue(query, name)
    return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? raw : null
  }
  const page = id('page')
  const pageSuffix = page !== null && page !== '1' ? `?page=${page}` : ''
  switch (queryValue(query, 'mod') ?? '') {
    case '':
    case 'index':
      return '/forum'
    case 'forumdisplay': {
      const fid = id('fid')
      return fid === null ? '/forum' : `/forum/${fid}${pageSuffix}`
    }
    case 'viewthread': {
      const tid = id('tid')
      return tid === null ? '/forum' : `/thread/${tid}${pageSuffix}`
    }
    case 'redirect': {
      // goto=findpost / lastpost need a lookup (the hook below answers them); anything else opens the thread.
      const tid = id('tid') ?? id('ptid')
      return tid === null ? '/forum' : `/thread/${tid}`
    }
    default:
      return null
  }
}

// The rewrite forms' own patterns (digits only) already match; the schema types them.
const BoardPageParams = Type.Object({ fid: Type.String(), page: Type.String() })
const ThreadPageParams = Type.Object({ tid: Type.String(), page: Type.String(), extra: Type.String() })

export default async function forumLegacyRoutes (app: FastifyInstance): Promise<void> {
  const forum = app.forum
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  // redirect&goto=findpost&ptid=T&pid=P and redirect&tid=T&goto=lastpost land on the floor's page and
  // anchor, as a 302: the last post moves with every reply (a 301 would be cached by browsers).
  app.legacyUrls.add('forum.php', async (query, request) => {
    if (queryValue(query, 'mod') !== 'redirect') return null
    const goto = queryValue(query, 'goto')
    const numeric = (name: string): number | null => {
      const raw = queryValue(query, name)
      return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : null
    }
    const pid = numeric('pid')
    const tid = numeric('tid') ?? numeric('ptid')
    const target = goto === 'findpost' && pid !== null
      ? { postId: pid }
      : goto === 'lastpost' && tid !== null ? { lastOf: tid } : null
    if (target === null) return null
    const at = await forum.floorLocation(request.user, target, app.clock.now())
    if (at === null) return tid === null ? '/forum' : { url: `/thread/${tid}`, status: 302 } // the thread page says why it cannot be read
    return { url: `/thread/${at.threadId}${at.page > 1 ? `?page=${at.page}` : ''}${at.postId === null ? '' : `#post-${at.postId}`}`, status: 302 }
  })
  app.legacyUrls.add('forum.php', forumPhpTarget)
  r.get('/forum-:fid(^\\d+)-:page(^\\d+).html', { schema: { params: BoardPageParams } }, async (request, reply) => {
    const page = Number(request.params.page)
    return await reply.redirect(`/forum/${request.params.fid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
  r.get('/thread-:tid(^\\d+)-:page(^\\d+)-:extra(^\\d+).html', { schema: { params: ThreadPageParams } }, async (request, reply) => {
    const page = Number(request.params.page)
    return await reply.redirect(`/thread/${request.params.tid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
}
