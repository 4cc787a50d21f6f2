import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, parseId } from '../../lib/http-errors'
import type { AuthUser } from '../../lib/permissions'
import type { AppConfig } from '../../config'
import { newMemberWait } from '../antiabuse'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { boardCrumbs, BoardParams, FormText, moderationContext, PostBody, PostParams, ReasonBody, ThreadParams } from './pages'
import { renderForStorage } from './renders'
import { cleanBody, cleanTitle, messages, pageOfFloor } from './rules'

/** Posting: a new thread (with 预览), a reply, editing and deleting a post. */

/**
 * 预览 renders a body on every click and, unlike posting, takes no flood slot: without a limit one
 * member could make the server render at will. Counted per member (per IP for a stray guest), like
 * comment posting's limit; only requests carrying the preview button count, so posting itself is
 * left to the anti-abuse rules. After the body is parsed (preHandler), which the check needs.
 */
export const PREVIEW_LIMIT = { max: 20, timeWindow: '1 minute' } as const

const PostingForm = Type.Object({ title: FormText, body: PostBody, preview: FormText, type_label: FormText })
const ReplyForm = Type.Object({ body: PostBody })
interface PostingFields { title?: string, body?: string, typeLabel?: string }

function isPreview (request: FastifyRequest): boolean {
  const body: unknown = request.body
  return typeof body === 'object' && body !== null && 'preview' in body && body.preview !== undefined
}

export default async function postingRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const forum = app.forum
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // A POST without any body meets the CSRF check's 403, as before schemas (src/plugins/empty-form.ts).
  app.addHook('preValidation', emptyFormWhenBodiless)

  const renderNewThread = async (reply: FastifyReply, boardId: number, user: AuthUser, form: PostingFields, extra: Record<string, unknown> = {}): Promise<FastifyReply> => {
    const { board, path } = await forum.boardForPosting(user, boardId, app.clock.now())
    return await reply.render('forum/new.njk', {
      navActive: 'forum', board, form, postingWait: newMemberWait(user, app.clock.now(), (await app.antiAbuse.limits()).newMemberSilence), crumbs: [...boardCrumbs(path, true), { label: '发表帖子' }], ...extra
    })
  }

  r.get('/forum/:fid/new', { schema: { params: BoardParams } }, async (request, reply) => {
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

  r.post('/forum/:fid/new', { config: { rateLimit: previewRateLimit }, schema: { params: BoardParams, body: PostingForm } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const boardId = parseId(request.params.fid, messages.boardNotFound)
    const form = { title: request.body.title ?? '', body: request.body.body ?? '', typeLabel: request.body.type_label ?? '' }
    try {
      if (request.body.preview !== undefined) {
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

  r.post('/thread/:tid/reply', { schema: { params: ThreadParams, body: ReplyForm } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const id = parseId(request.params.tid, messages.threadNotFound)
    const created = await forum.reply(user, id, { body: request.body.body }, app.clock.now())
    return await reply.redirect(`/thread/${id}?page=${created.page}#post-${created.postId}`, 303)
  })

  await editRoutes(app)

  r.post('/post/:pid/delete', { schema: { params: PostParams, body: ReasonBody } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const pid = parseId(request.params.pid, messages.postNotFound)
    const result = await forum.deletePost(moderationContext(request, user, app.clock.now(), request.body.reason), pid)
    if (result.threadDeleted) return await reply.redirect(`/forum/${result.boardId}`, 303)
    return await reply.redirect(`/thread/${result.threadId}?page=${pageOfFloor(result.position)}#post-${pid}`, 303)
  })
}

/** Editing a post: the form, and the edit (the form again with the message on a 400). */
async function editRoutes (app: FastifyInstance): Promise<void> {
  const forum = app.forum
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  const renderEdit = async (reply: FastifyReply, user: AuthUser, pid: number, form: PostingFields | null, error?: string): Promise<FastifyReply> => {
    const { post, thread, boardPath } = await forum.postForEdit(user, pid, app.clock.now())
    return await reply.render('forum/edit.njk', {
      navActive: 'forum', post, thread, form: { title: form?.title ?? thread.title, body: form === null ? post.body : form.body }, error,
      crumbs: [...boardCrumbs(boardPath, true), { label: thread.title, url: `/thread/${thread.id}` }, { label: '编辑帖子' }]
    })
  }

  r.get('/post/:pid/edit', { schema: { params: PostParams } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    return await renderEdit(reply, user, parseId(request.params.pid, messages.postNotFound), null)
  })

  r.post('/post/:pid/edit', { schema: { params: PostParams, body: PostingForm } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'write' })
    const pid = parseId(request.params.pid, messages.postNotFound)
    const form = { title: request.body.title, body: request.body.body ?? '' }
    try {
      const edited = await forum.editPost(user, pid, form, app.clock.now())
      return await reply.redirect(`/thread/${edited.threadId}?page=${pageOfFloor(edited.position)}#post-${pid}`, 303)
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) {
        reply.code(400)
        return await renderEdit(reply, user, pid, form, err.message)
      }
      throw err
    }
  })
}
