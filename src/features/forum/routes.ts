import type { Knex } from 'knex'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { HttpError, parseId } from '../../lib/http-errors'
import type { AuthUser } from '../../lib/permissions'
import type { AppConfig } from '../../config'
import { antiAbuseFor, newMemberWait } from '../antiabuse/service'
import { queryValue, type LegacyQuery } from '../../plugins/legacy-urls'
import { viewsMarker } from '../../plugins/guest-pages'
import { cleanBody, cleanTitle, forumService, messages, renderForStorage, type Board, type ModerationContext } from './service'

/** Forum pages: index, boards, threads, posting, editing, moderator actions, Discuz's legacy URLs. */

interface PageQuery { Querystring: { page?: string } }
interface PostingBody { title?: string, body?: string, preview?: string }

function boardCrumbs (path: readonly Board[], lastIsLink: boolean): Array<{ label: string, url?: string }> {
  return [{ label: '论坛', url: '/forum' }, ...path.map((b, i) => ({
    label: b.name,
    url: b.isGroup ? `/forum#group-${b.id}` : (i === path.length - 1 && !lastIsLink ? undefined : `/forum/${b.id}`)
  }))]
}

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
      // goto=findpost / lastpost need a lookup (forumRoutes answers them); anything else opens the thread.
      const tid = id('tid') ?? id('ptid')
      return tid === null ? '/forum' : `/thread/${tid}`
    }
    default:
      return null
  }
}

/**
 * 预览 renders a body on every click and, unlike posting, takes no flood slot: without a limit one
 * member could make the server render at will. Counted per member (per IP for a stray guest), like
 * comment posting's limit; only requests carrying the preview button count, so posting itself is
 * left to the anti-abuse rules. After the body is parsed (preHandler), which the check needs.
 */
export const PREVIEW_LIMIT = { max: 20, timeWindow: '1 minute' } as const

function isPreview (request: FastifyRequest): boolean {
  const body = request.body as PostingBody | undefined
  return body !== undefined && body !== null && typeof body === 'object' && body.preview !== undefined
}

function parseThreadPage (raw: unknown): number | 'last' {
  return raw === 'last' ? 'last' : parsePageParam(raw)
}

export default async function forumRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const forum = forumService({
    db: app.db,
    dbRead: app.dbRead,
    timeZone: opts.config.siteTimezone,
    // The same anti-abuse instance (and word-list cache) as comments: one set of rules for all member content.
    antiAbuse: antiAbuseFor(app.db)
  })
  app.viewCounts.registerKind('thread', 'threads')
  // Crawlers get the threads guests may read (members-only boards never appear).
  const guestThreads = (): Knex.QueryBuilder => app.dbRead('threads as t').join('boards as b', 'b.id', 't.board_id')
    .where('t.status', 'visible').andWhere('b.guest_visible', true)
  app.sitemap.add({
    name: 'threads',
    count: async () => Number((await guestThreads().count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0),
    list: async (offset, limit) => (await guestThreads().orderBy('t.id').offset(offset).limit(limit).select<Array<{ id: number, last_post_at: number }>>('t.id', 't.last_post_at'))
      .map((t) => ({ path: `/thread/${t.id}`, lastModified: t.last_post_at }))
  })
  // Reports into the ban's audit row only when it hid something.
  app.banHooks.add('forum', async (event, trx) => {
    if (!event.hideRecentContent) return undefined
    const hidden = await forum.hideRecentContent(trx, event.userId, event.at)
    return hidden.hiddenThreads + hidden.hiddenPosts > 0 ? hidden : undefined
  })
  app.homeSections.add('latestThreads', async ({ request }) => await forum.latestThreads(request.user, app.clock.now()))

  const moderation = (request: FastifyRequest, actor: AuthUser): ModerationContext => {
    const body = request.body as { reason?: unknown } | undefined
    return { actor, now: app.clock.now(), requestId: request.id, reason: typeof body?.reason === 'string' ? body.reason : '' }
  }

  // Guests' pages go through the guest page cache (src/plugins/guest-pages.ts): rendered once a second.
  const fromGuestCache = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> =>
    request.user === null && await app.guestPages.serveCached(request, reply)

  app.get('/forum', async (request, reply) => {
    if (await fromGuestCache(request, reply)) return reply
    const view = await forum.index(request.user, app.clock.now())
    return await app.guestPages.send(request, reply, await reply.renderPage('forum/index.njk', { navActive: 'forum', ...view, crumbs: [{ label: '论坛' }] }))
  })

  app.get<PageQuery & { Params: { fid: string } }>('/forum/:fid', async (request, reply) => {
    const id = parseId(request.params.fid, messages.boardNotFound)
    if (await fromGuestCache(request, reply)) return reply
    const view = await forum.board(request.user, id, parsePageParam(request.query.page), app.clock.now())
    return await app.guestPages.send(request, reply, await reply.renderPage('forum/board.njk', {
      navActive: 'forum', ...view, crumbs: boardCrumbs(view.path, false), pager: pagerFor(view.page, `/forum/${id}`)
    }))
  })

  const renderNewThread = async (reply: FastifyReply, boardId: number, user: AuthUser, form: PostingBody, extra: Record<string, unknown> = {}): Promise<FastifyReply> => {
    const { board, path } = await forum.boardForPosting(user, boardId, app.clock.now())
    return await reply.render('forum/new.njk', {
      navActive: 'forum', board, form, postingWait: newMemberWait(user, app.clock.now()), crumbs: [...boardCrumbs(path, true), { label: '发表帖子' }], ...extra
    })
  }

  app.get<{ Params: { fid: string } }>('/forum/:fid/new', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    return await renderNewThread(reply, parseId(request.params.fid, messages.boardNotFound), user, {})
  })

  const previewRateLimit = {
    ...PREVIEW_LIMIT,
    hook: 'preHandler' as const,
    keyGenerator: (request: FastifyRequest): string => request.session.userId === undefined ? `preview:ip:${request.ip}` : `preview:u:${request.session.userId}`,
    // A route's allowList replaces the app's: keep RATE_LIMIT_ALLOW's addresses exempt here too.
    allowList: (request: FastifyRequest): boolean => !isPreview(request) || opts.config.rateLimitAllow.includes(request.ip)
  }

  app.post<{ Params: { fid: string }, Body: PostingBody }>('/forum/:fid/new', { config: { rateLimit: previewRateLimit } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const boardId = parseId(request.params.fid, messages.boardNotFound)
    const form = { title: String(request.body?.title ?? ''), body: String(request.body?.body ?? '') }
    try {
      if (request.body?.preview !== undefined) {
        // 预览 without JavaScript: the same form again, with the rendered body above it.
        cleanTitle(form.title)
        // Rendered as it would be stored: a body the renderer refuses is the same 400 here as when posting.
        return await renderNewThread(reply, boardId, user, form, { previewHtml: renderForStorage(cleanBody(form.body)).html })
      }
      const created = await forum.createThread(user, boardId, form, app.clock.now())
      return await reply.redirect(`/thread/${created.threadId}`, 303)
    } catch (err) {
      // Bad input: the form again with the message and what was typed; other errors get the error page.
      if (err instanceof HttpError && err.statusCode === 400) {
        reply.code(400)
        return await renderNewThread(reply, boardId, user, form, { error: err.message })
      }
      throw err
    }
  })

  app.get<{ Params: { tid: string }, Querystring: { page?: string, quote?: string } }>('/thread/:tid', async (request, reply) => {
    const id = parseId(request.params.tid, messages.threadNotFound)
    if (await fromGuestCache(request, reply)) return reply
    const now = app.clock.now()
    const view = await forum.thread(request.user, id, parseThreadPage(request.query.page), now)
    await app.viewCounts.countView('thread', id, request)
    const quote = request.query.quote
    const quickReply = view.canReply && quote !== undefined && /^\d{1,10}$/.test(quote)
      ? await forum.quoteText(request.user, id, Number(quote))
      : ''
    const page = await reply.renderPage('forum/thread.njk', {
      navActive: 'forum',
      ...view,
      quickReply,
      // A new member sees how long to wait above the quick reply, before typing.
      postingWait: newMemberWait(request.user, now),
      // The guest page cache writes the current count here on every response.
      views: viewsMarker(),
      crumbs: [...boardCrumbs(view.boardPath, true), { label: view.thread.title }],
      pager: pagerFor(view.page, `/thread/${id}`)
    })
    return await app.guestPages.send(request, reply, page, { view: { kind: 'thread', id, stored: view.thread.views } })
  })

  app.post<{ Params: { tid: string }, Body: { body?: string } }>('/thread/:tid/reply', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    const created = await forum.reply(user, id, { body: request.body?.body }, app.clock.now())
    return await reply.redirect(`/thread/${id}?page=${created.page}#post-${created.postId}`, 303)
  })

  app.get<{ Params: { pid: string } }>('/post/:pid/edit', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const { post, thread, boardPath } = await forum.postForEdit(user, parseId(request.params.pid, messages.postNotFound), app.clock.now())
    return await reply.render('forum/edit.njk', {
      navActive: 'forum', post, thread, form: { title: thread.title, body: post.body },
      crumbs: [...boardCrumbs(boardPath, true), { label: thread.title, url: `/thread/${thread.id}` }, { label: '编辑帖子' }]
    })
  })

  app.post<{ Params: { pid: string }, Body: PostingBody }>('/post/:pid/edit', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const pid = parseId(request.params.pid, messages.postNotFound)
    const form = { title: request.body?.title, body: String(request.body?.body ?? '') }
    try {
      const edited = await forum.editPost(user, pid, form, app.clock.now())
      return await reply.redirect(`/thread/${edited.threadId}?page=${Math.ceil(edited.position / 10)}#post-${pid}`, 303)
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) {
        const { post, thread, boardPath } = await forum.postForEdit(user, pid, app.clock.now())
        reply.code(400)
        return await reply.render('forum/edit.njk', {
          navActive: 'forum', post, thread, form: { title: form.title ?? thread.title, body: form.body }, error: err.message,
          crumbs: [...boardCrumbs(boardPath, true), { label: thread.title, url: `/thread/${thread.id}` }, { label: '编辑帖子' }]
        })
      }
      throw err
    }
  })

  app.post<{ Params: { pid: string } }>('/post/:pid/delete', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const result = await forum.deletePost(moderation(request, user), parseId(request.params.pid, messages.postNotFound))
    if (result.threadDeleted) return await reply.redirect(`/forum/${result.boardId}`, 303)
    return await reply.redirect(`/thread/${result.threadId}?page=${Math.ceil(result.position / 10)}#post-${parseId(request.params.pid)}`, 303)
  })

  app.get<PageQuery>('/mod/posts', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const view = await forum.reviewQueue(user, parsePageParam(request.query.page), app.clock.now())
    return await reply.render('forum/mod.njk', {
      navActive: 'forum', ...view, crumbs: [{ label: '论坛', url: '/forum' }, { label: '帖子审核' }], pager: pagerFor(view.page, '/mod/posts')
    })
  })

  app.post<{ Params: { pid: string } }>('/post/:pid/approve', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const pid = parseId(request.params.pid, messages.postNotFound)
    const approved = await forum.approvePost(moderation(request, user), pid)
    return await reply.redirect(`/thread/${approved.threadId}?page=${Math.ceil(approved.position / 10)}#post-${pid}`, 303)
  })

  // Moderator actions: plain POST forms on the thread page; each is audited by the service.
  app.post<{ Params: { tid: string }, Body: { pinned?: string } }>('/thread/:tid/pin', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    await forum.setPinned(moderation(request, user), id, request.body?.pinned === '1')
    return await reply.redirect(`/thread/${id}`, 303)
  })

  app.post<{ Params: { tid: string }, Body: { closed?: string } }>('/thread/:tid/close', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    await forum.setClosed(moderation(request, user), id, request.body?.closed === '1')
    return await reply.redirect(`/thread/${id}`, 303)
  })

  app.post<{ Params: { tid: string }, Body: { board_id?: string } }>('/thread/:tid/move', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    const raw = request.body?.board_id
    const target = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : 0
    await forum.move(moderation(request, user), id, target)
    return await reply.redirect(`/thread/${id}`, 303)
  })

  app.post<{ Params: { tid: string } }>('/thread/:tid/delete', async (request, reply) => {
    const user = app.requirePermission(request, { action: 'moderate' })
    const { boardId } = await forum.deleteThread(moderation(request, user), parseId(request.params.tid, messages.threadNotFound))
    return await reply.redirect(`/forum/${boardId}`, 303)
  })

  // Discuz's URLs, so old links and search results keep working: /forum.php through the shared
  // legacy-URL plugin (the darkroom answers there too), the static rewrite forms as our own routes.
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
  app.get<{ Params: { fid: string, page: string } }>('/forum-:fid(^\\d+)-:page(^\\d+).html', async (request, reply) => {
    const page = Number(request.params.page)
    return await reply.redirect(`/forum/${request.params.fid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
  app.get<{ Params: { tid: string, page: string, extra: string } }>('/thread-:tid(^\\d+)-:page(^\\d+)-:extra(^\\d+).html', async (request, reply) => {
    const page = Number(request.params.page)
    return await reply.redirect(`/thread/${request.params.tid}${page > 1 ? `?page=${page}` : ''}`, 301)
  })
}
