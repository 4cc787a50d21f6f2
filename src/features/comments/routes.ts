import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppConfig } from '../../config'
import { wantsJson } from '../../plugins/errors'
import { HttpError, parseId } from '../../lib/http-errors'
import { paginate, parsePageParam, pagerFor } from '../../lib/pagination'
import { ipHash } from '../../lib/visitor'
import { antiAbuseFor } from '../antiabuse/service'
import { auditLog } from '../moderation/audit'
import { portalService, ARTICLE_NOT_FOUND } from '../portal/service'
import { commentsService, messages, type CommentView } from './service'
import { commentsRepository, commentsByAuthor, countByAuthor } from './repository'

/** 快速评论 under portal articles: the article-page section, the full list, posting, edit/delete, the review queue. HTTP only. */

interface CommentBody { message?: string, guest_name?: string, from?: string }
interface ModBody { cid?: string | string[], action?: string, single?: string, page?: string }

// Posting is also flood-controlled per member by the anti-abuse module; this stops scripted bursts (and guests) early.
const POST_LIMIT = { max: 20, timeWindow: '1 minute' }
// How far back a ban's "hide recent comments" reaches.
const HIDE_RECENT_SECONDS = 7 * 86400

function rateLimitKey (request: FastifyRequest): string {
  const uid = request.session.userId
  return uid === undefined ? `ip:${request.ip}` : `u:${uid}`
}

export default async function commentsRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  // Writes check the article as it is now: no shared one-second copy here.
  const portal = portalService(app.db, () => app.clock.nowMs(), { articleCacheMs: 0, countCacheMs: 0 })
  const comments = commentsService(app.db, { antiAbuse: antiAbuseFor(app.db), audit: auditLog(app.db), settings: app.settings, dbRead: app.dbRead })
  const rateLimit = { ...POST_LIMIT, keyGenerator: rateLimitKey }
  const repository = commentsRepository(app.dbRead)

  async function articleFor (rawId: string): Promise<{ view: Awaited<ReturnType<typeof portal.articleRow>>, commentsAllowed: boolean }> {
    const view = await portal.articleRow(parseId(rawId, ARTICLE_NOT_FOUND))
    const tree = await portal.categoryTree()
    return { view, commentsAllowed: Boolean(view.article.allow_comments) && tree.allowsComments(view.article.category_id) }
  }

  function quoteParam (request: FastifyRequest): number | null {
    const raw = (request.query as Record<string, unknown> | undefined)?.quote
    return typeof raw === 'string' && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : null
  }

  function loginUrlFor (aid: number): string {
    return `/login?return=${encodeURIComponent(`/article/${aid}#comments`)}`
  }

  // The Archiver shows visible comments as text, newest first like the full list.
  app.archiverComments.provide(async (article, requestedPage, perPage) => {
    const page = paginate(requestedPage, perPage, article.comment_count)
    const rows = article.comment_count === 0 ? [] : await repository.listForArticle(article.id, { userId: null, moderator: false }, page.offset, page.perPage)
    return {
      rows: rows.map((c) => ({ id: c.id, author_name: c.author_name ?? (c.guest_name === '' ? null : c.guest_name), created_at: c.created_at, body: c.body })),
      page,
      lastChangedAt: rows.reduce((m, c) => Math.max(m, c.created_at, c.edited_at ?? 0), 0)
    }
  })

  // 禁止发言/禁止访问 with "also hide this member's recent comments": the last 7 days of their
  // visible comments become deleted (soft, rows kept), inside the ban's transaction, counts adjusted.
  app.banHooks.add('comments', async (event, trx) => {
    if (!event.hideRecentContent) return undefined
    const since = event.at - HIDE_RECENT_SECONDS
    const rows = await trx('comments').where({ author_id: event.userId, status: 'visible' }).andWhere('created_at', '>=', since)
      .select<Array<{ id: number, article_id: number }>>('id', 'article_id')
    const perArticle = new Map<number, number>()
    for (const r of rows) perArticle.set(r.article_id, (perArticle.get(r.article_id) ?? 0) + 1)
    for (const [articleId, n] of [...perArticle].sort((a, b) => a[0] - b[0])) {
      await trx('articles').where({ id: articleId }).update({ comment_count: trx.raw('comment_count - ?', [n]) })
    }
    if (rows.length === 0) return undefined // nothing to report in the audit row
    await trx('comments').whereIn('id', rows.map((r) => r.id)).update({ status: 'deleted', edited_at: event.at, edited_by: event.moderatorId })
    return { hiddenComments: rows.length }
  })

  app.memberProfiles.addProvider({
    name: 'comments',
    async stats (userId) { return [{ label: '评论数', value: await countByAuthor(app.db, userId), order: 30 }] },
    async recent (userId) {
      const latest = await commentsByAuthor(app.db, userId, 10)
      return {
        title: '最新评论',
        order: 30,
        items: latest.map((c) => ({ title: `${c.article_title}：${c.body.length > 40 ? c.body.slice(0, 40) + '…' : c.body}`, url: `/article/${c.article_id}#comment-${c.id}`, at: c.created_at }))
      }
    }
  })

  app.articleSections.add('comments', async ({ article, commentsAllowed, request }) => {
    const now = app.clock.now()
    const user = request.user
    const quoteId = quoteParam(request)
    const [section, form, quote] = await Promise.all([
      comments.section(article.id, user, now),
      comments.formFor({ id: article.id, commentsAllowed }, user, now),
      quoteId === null ? Promise.resolve('') : comments.quoteFor(quoteId, article.id, user, now)
    ])
    const pending = (request.query as Record<string, unknown> | undefined)?.pending === '1'
    return { ...section, form, text: quote, guestName: '', from: 'article', articleId: article.id, loginUrl: loginUrlFor(article.id), notice: pending ? messages.pending : '', pageUrl: `/article/${article.id}` }
  })

  async function renderList (request: FastifyRequest, reply: FastifyReply, rawId: string, requestedPage: number, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const { view, commentsAllowed } = await articleFor(rawId)
    const article = view.article
    const now = app.clock.now()
    const user = request.user
    const quoteId = quoteParam(request)
    const [list, form, quote] = await Promise.all([
      comments.page(article.id, requestedPage, user, now),
      comments.formFor({ id: article.id, commentsAllowed }, user, now),
      quoteId === null ? Promise.resolve('') : comments.quoteFor(quoteId, article.id, user, now)
    ])
    const pending = (request.query as Record<string, unknown> | undefined)?.pending === '1'
    const category = view.categoryPath[view.categoryPath.length - 1]
    const baseUrl = `/article/${article.id}/comments`
    return await reply.render('comments/list.njk', {
      navActive: 'portal',
      article,
      category,
      commentsAllowed,
      comments: { ...list, form, text: quote, guestName: '', from: 'list', articleId: article.id, loginUrl: loginUrlFor(article.id), notice: pending ? messages.pending : '', pageUrl: list.page.page > 1 ? `${baseUrl}?page=${list.page.page}` : baseUrl, ...extra },
      pager: pagerFor(list.page, baseUrl),
      crumbs: [{ label: '门户', url: '/' }, ...view.categoryPath.map((c) => ({ label: c.name, url: `/category/${c.id}` })), { label: article.title, url: `/article/${article.id}` }, { label: '查看评论' }]
    })
  }

  app.get<{ Params: { aid: string }, Querystring: { page?: string } }>('/article/:aid/comments', async (request, reply) => {
    return await renderList(request, reply, request.params.aid, parsePageParam(request.query.page))
  })

  async function renderItem (reply: FastifyReply, c: CommentView, pageUrl: string): Promise<string> {
    return await app.view('comments/_item.njk', { c, pageUrl, csrfToken: () => reply.formToken() })
  }

  app.post<{ Params: { aid: string }, Body: CommentBody }>('/article/:aid/comments', { config: { rateLimit } }, async (request, reply) => {
    const { view, commentsAllowed } = await articleFor(request.params.aid)
    const aid = view.article.id
    const body = request.body ?? {}
    const fromList = body.from === 'list'
    const base = fromList ? `/article/${aid}/comments` : `/article/${aid}`
    try {
      const comment = await comments.create({
        article: { id: aid, commentsAllowed },
        user: request.user,
        guestName: typeof body.guest_name === 'string' ? body.guest_name : '',
        text: typeof body.message === 'string' ? body.message : '',
        ipHash: ipHash(opts.config.sessionSecret, request.ip),
        ip: request.ip,
        now: app.clock.now()
      })
      const pending = comment.status === 'pending'
      if (wantsJson(request)) {
        reply.code(201)
        // count: the article's visible comments now, so the script can redraw 评论: N and 查看全部评论(N).
        return { id: comment.id, status: comment.status, html: await renderItem(reply, comment, base), message: pending ? messages.pending : '', count: await comments.visibleCount(aid) }
      }
      // A guest cannot see their pending comment: send them to the block with the notice instead.
      const anchor = pending && request.user === null ? 'comments' : `comment-${comment.id}`
      return await reply.redirect(`${base}${pending ? '?pending=1' : ''}#${anchor}`, 303)
    } catch (err) {
      if (wantsJson(request) || !(err instanceof HttpError) || err.statusCode >= 500) throw err
      // Show the form again with what was typed and why it was refused.
      reply.code(err.statusCode)
      return await renderList(request, reply, String(aid), 1, {
        error: err.message, text: typeof body.message === 'string' ? body.message : '', guestName: typeof body.guest_name === 'string' ? body.guest_name : ''
      })
    }
  })

  app.get<{ Params: { cid: string } }>('/comments/:cid/edit', async (request, reply) => {
    if (request.user === null) app.requirePermission(request, { action: 'write' })
    const row = await comments.forEdit(parseId(request.params.cid, messages.notFound), request.user, app.clock.now())
    return await reply.render('comments/edit.njk', { comment: row, text: row.body, crumbs: [{ label: '门户', url: '/' }, { label: '编辑评论' }] })
  })

  app.post<{ Params: { cid: string }, Body: { message?: string } }>('/comments/:cid/edit', { config: { rateLimit } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'edit-own', resource: { authorId: request.user?.id ?? null } })
    const cid = parseId(request.params.cid, messages.notFound)
    const text = typeof request.body?.message === 'string' ? request.body.message : ''
    try {
      const row = await comments.edit({ commentId: cid, user, now: app.clock.now(), text, requestId: request.id })
      if (wantsJson(request)) return { id: row.id, status: row.status }
      return await reply.redirect(`/article/${row.article_id}#comment-${row.id}`, 303)
    } catch (err) {
      if (wantsJson(request) || !(err instanceof HttpError) || err.statusCode >= 500 || err.statusCode === 404) throw err
      const row = await comments.forEdit(cid, user, app.clock.now())
      reply.code(err.statusCode)
      return await reply.render('comments/edit.njk', { comment: row, text, error: err.message, crumbs: [{ label: '门户', url: '/' }, { label: '编辑评论' }] })
    }
  })

  app.post<{ Params: { cid: string } }>('/comments/:cid/delete', { config: { rateLimit } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'edit-own', resource: { authorId: request.user?.id ?? null } })
    const row = await comments.remove({ commentId: parseId(request.params.cid, messages.notFound), user, now: app.clock.now(), requestId: request.id })
    if (wantsJson(request)) return { id: row.id, status: 'deleted' }
    return await reply.redirect(`/article/${row.article_id}#comments`, 303)
  })

  app.get<{ Querystring: { page?: string } }>('/mod/comments', async (request, reply) => {
    app.requirePermission(request, { action: 'moderate' })
    const queue = await comments.queue(parsePageParam(request.query.page))
    return await reply.render('comments/mod.njk', {
      items: queue.items, html: Object.fromEntries(queue.views), page: queue.page,
      pager: pagerFor(queue.page, '/mod/comments'),
      crumbs: [{ label: '管理面板', url: '/mod' }, { label: '评论审核' }]
    })
  })

  app.post<{ Body: ModBody }>('/mod/comments', { config: { rateLimit: { max: 60, timeWindow: '1 minute', keyGenerator: rateLimitKey } } }, async (request, reply) => {
    const moderator = app.requirePermission(request, { action: 'moderate' })
    const body = request.body ?? {}
    let action: 'approve' | 'delete'
    let ids: number[]
    const single = typeof body.single === 'string' ? /^(approve|delete):([1-9]\d{0,9})$/.exec(body.single) : null
    if (single !== null) {
      action = single[1] === 'approve' ? 'approve' : 'delete'
      ids = [Number(single[2])]
    } else {
      action = body.action === 'approve' ? 'approve' : body.action === 'delete' ? 'delete' : 'approve'
      if (body.action !== 'approve' && body.action !== 'delete') throw new HttpError(400, '请选择操作')
      const raw = Array.isArray(body.cid) ? body.cid : body.cid === undefined ? [] : [body.cid]
      ids = raw.filter((s) => /^[1-9]\d{0,9}$/.test(s)).map(Number)
    }
    const changed = await comments.moderate({ ids, action, moderator, now: app.clock.now(), requestId: request.id })
    if (wantsJson(request)) return { changed }
    const page = parsePageParam(body.page)
    return await reply.redirect(page > 1 ? `/mod/comments?page=${page}` : '/mod/comments', 303)
  })
}
