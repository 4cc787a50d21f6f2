import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppConfig } from '../../config'
import { wantsJson } from '../../plugins/errors'
import { HttpError, parseId } from '../../lib/http-errors'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { missingBodyAsEmpty, PathParam, QueryValue, singleValue, type QueryValues } from '../../lib/route-schemas'
import { ipHash } from '../../lib/visitor'
import { ARTICLE_NOT_FOUND } from '../portal'
import { messages, type CommentView } from './service'
import type { CaptchaView } from '../captcha'

/** 快速评论 under portal articles: the article-page section, the full list, posting, edit/delete, the review queue. HTTP only. */

// Form fields are optional strings: the service says what is missing or too long, in its own words.
const CommentBody = Type.Object({
  message: Type.Optional(Type.String()),
  guest_name: Type.Optional(Type.String()),
  from: Type.Optional(Type.String()),
  // The guest's captcha (src/features/captcha): the widget's payload or the fallback question's answer.
  altcha: Type.Optional(Type.String({ maxLength: 4000 })),
  captcha_answer: Type.Optional(Type.String({ maxLength: 100 }))
})
const EditBody = Type.Object({ message: Type.Optional(Type.String()) })
const ModBody = Type.Object({
  // One checkbox sends a string, several an array; the form parser's coercion makes both an array.
  cid: Type.Optional(Type.Array(Type.String())),
  action: Type.Optional(Type.String()),
  single: Type.Optional(Type.String()),
  page: Type.Optional(Type.String())
})
// The list's own parameters: `quote` (引用) and `pending` (the notice after a post that waits for review).
const ListQuery = Type.Object({ page: QueryValue, quote: QueryValue, pending: QueryValue })
const ArticleParams = Type.Object({ aid: PathParam })
const CommentParams = Type.Object({ cid: PathParam })

// Posting is also flood-controlled per member by the anti-abuse module; this stops scripted bursts (and guests) early.
const POST_LIMIT = { max: 20, timeWindow: '1 minute' }
// How far back a ban's "hide recent comments" reaches.
const HIDE_RECENT_SECONDS = 7 * 86400

function rateLimitKey (request: FastifyRequest): string {
  const uid = request.session.userId
  return uid === undefined ? `ip:${request.ip}` : `u:${uid}`
}

export default async function commentsRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const comments = app.comments
  const rateLimit = { ...POST_LIMIT, keyGenerator: rateLimitKey }

  /** The article as it is now (write paths and the list check it, never a cached copy), with commentsAllowed. */
  async function articleFor (rawId: string): Promise<Awaited<ReturnType<typeof app.portal.articleRow>>> {
    return await app.portal.articleRow(parseId(rawId, ARTICLE_NOT_FOUND))
  }

  function quoteParam (query: QueryValues): number | null {
    const raw = singleValue(query.quote)
    return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : null
  }

  /** A guest's comment form asks for the captcha when 站点设置 says so (游客评论需要验证码). */
  async function guestCaptcha (form: { guest: boolean, canPost: boolean }): Promise<CaptchaView | null> {
    return form.guest && form.canPost && await app.settings.getBoolean('captcha_guest_comments') ? await app.captcha.view() : null
  }

  function loginUrlFor (aid: number): string {
    return `/login?return=${encodeURIComponent(`/article/${aid}#comments`)}`
  }

  // 禁止发言/禁止访问 with "also hide this member's recent comments": the last 7 days of their
  // visible comments become deleted (soft, rows kept), inside the ban's transaction, counts adjusted.
  app.banHooks.add('comments', async (event, trx) => {
    if (!event.hideRecentContent && event.hideAllContent !== true) return undefined
    const since = event.hideAllContent === true ? 0 : event.at - HIDE_RECENT_SECONDS
    const hidden = await comments.hideRecent({ userId: event.userId, since, at: event.at, moderatorId: event.moderatorId }, trx)
    return hidden === 0 ? undefined : { hiddenComments: hidden } // nothing to report in the audit row when none
  })

  app.memberProfiles.addProvider({
    name: 'comments',
    async stats (userId) { return [{ label: '评论数', value: await comments.countByAuthor(userId), order: 30 }] },
    async recent (userId) {
      const latest = await comments.latestByAuthor(userId, 10)
      return {
        title: '最新评论',
        order: 30,
        items: latest.map((c) => ({ title: `${c.article_title}：${c.body.length > 40 ? c.body.slice(0, 40) + '…' : c.body}`, url: `/article/${c.article_id}#comment-${c.id}`, at: c.created_at }))
      }
    }
  })

  app.articleSections.add('comments', async ({ article, commentsAllowed, request, query }) => {
    const now = app.clock.now()
    const user = request.user
    const quoteId = quoteParam(query)
    const [section, form, quote] = await Promise.all([
      comments.section(article.id, user, now),
      comments.formFor({ id: article.id, commentsAllowed }, user, now),
      quoteId === null ? Promise.resolve('') : comments.quoteFor(quoteId, article.id, user, now)
    ])
    const pending = singleValue(query.pending) === '1'
    return { ...section, form, captcha: await guestCaptcha(form), text: quote, guestName: '', from: 'article', articleId: article.id, loginUrl: loginUrlFor(article.id), notice: pending ? messages.pending : '', pageUrl: `/article/${article.id}` }
  }, async ({ articleId, request }) => await sharedCopyAllowed(articleId, request) ? {} : null)

  /**
   * Whether a plain member may be given the shared member copy of an article page or comment list
   * (src/plugins/member-pages.ts): not while a comment of theirs waits for review there (they see it,
   * nobody else does: one short index range), nor while a new member's posting wait shows above the form.
   */
  async function sharedCopyAllowed (articleId: number, request: FastifyRequest): Promise<boolean> {
    const now = app.clock.now()
    if ((await comments.formFor({ id: articleId, commentsAllowed: true }, request.user, now)).wait !== null) return false
    return !await comments.hasPendingOf(articleId, request.user, now)
  }

  async function renderList (request: FastifyRequest, reply: FastifyReply, rawId: string, requestedPage: number, query: QueryValues, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const view = await articleFor(rawId)
    const { article, commentsAllowed } = view
    const now = app.clock.now()
    const user = request.user
    const quoteId = quoteParam(query)
    const [list, form, quote] = await Promise.all([
      comments.page(article.id, requestedPage, user, now),
      comments.formFor({ id: article.id, commentsAllowed }, user, now),
      quoteId === null ? Promise.resolve('') : comments.quoteFor(quoteId, article.id, user, now)
    ])
    const pending = singleValue(query.pending) === '1'
    const category = view.categoryPath[view.categoryPath.length - 1]
    const baseUrl = `/article/${article.id}/comments`
    const page = await reply.renderPage('comments/list.njk', {
      ...app.memberPages.copyLocals(request),
      navActive: 'portal',
      article,
      category,
      commentsAllowed,
      comments: { ...list, form, captcha: await guestCaptcha(form), text: quote, guestName: '', from: 'list', articleId: article.id, loginUrl: loginUrlFor(article.id), notice: pending ? messages.pending : '', pageUrl: list.page.page > 1 ? `${baseUrl}?page=${list.page.page}` : baseUrl, ...extra },
      pager: pagerFor(list.page, baseUrl),
      crumbs: [{ label: '门户', url: '/' }, ...view.categoryPath.map((c) => ({ label: c.name, url: `/category/${c.id}` })), { label: article.title, url: `/article/${article.id}` }, { label: '查看评论' }]
    })
    // A guest's list without a form token is kept for the next guests (src/plugins/guest-pages.ts); a
    // member's page, one carrying a token (guest comments on), or a refused post shown again is sent as it is.
    if (request.method === 'GET') return await app.memberPages.send(request, reply, page)
    return await reply.type('text/html; charset=utf-8').send(page.html)
  }

  r.get('/article/:aid/comments', { schema: { params: ArticleParams, querystring: ListQuery } }, async (request, reply) => {
    // Any page of the list, however deep, is a copy for guests within its second (issue #19), and a
    // shared copy with holes for plain members (src/plugins/member-pages.ts).
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply
    const aid = /^[1-9]\d{0,9}$/.test(request.params.aid) ? Number(request.params.aid) : null
    if (request.user !== null && aid !== null && await app.memberPages.serveCached(request, reply, async () => await sharedCopyAllowed(aid, request) ? {} : null)) return reply
    return await renderList(request, reply, request.params.aid, parsePageParam(request.query.page), request.query)
  })

  async function renderItem (reply: FastifyReply, c: CommentView, pageUrl: string): Promise<string> {
    return await app.view('comments/_item.njk', { c, pageUrl, csrfToken: () => reply.formToken() })
  }

  r.post('/article/:aid/comments', {
    config: { rateLimit },
    schema: { params: ArticleParams, querystring: ListQuery, body: CommentBody },
    preValidation: missingBodyAsEmpty
  }, async (request, reply) => {
    const { article, commentsAllowed } = await articleFor(request.params.aid)
    const aid = article.id
    const body = request.body
    const fromList = body.from === 'list'
    const base = fromList ? `/article/${aid}/comments` : `/article/${aid}`
    try {
      // Only where guests may comment at all: otherwise the service's 401 (log in) is the answer, not a captcha's 400.
      if (request.user === null && await app.settings.getBoolean('guest_comments') && await app.settings.getBoolean('captcha_guest_comments')) {
        const check = await app.captcha.verify(app.captcha.answerOf(request))
        if (!check.ok) throw new HttpError(400, check.message)
      }
      const comment = await comments.create({
        article: { id: aid, commentsAllowed },
        user: request.user,
        guestName: body.guest_name ?? '',
        text: body.message ?? '',
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
      return await renderList(request, reply, String(aid), 1, request.query, {
        error: err.message, text: body.message ?? '', guestName: body.guest_name ?? '',
        // Not verified yet (站点设置 → 发表内容前须验证 Email): the form links to the resend page.
        verifyUrl: err.details.verifyUrl ?? null
      })
    }
  })

  r.get('/comments/:cid/edit', { schema: { params: CommentParams } }, async (request, reply) => {
    if (request.user === null) app.requirePermission(request, { action: 'write' })
    const row = await comments.forEdit(parseId(request.params.cid, messages.notFound), request.user, app.clock.now())
    return await reply.render('comments/edit.njk', { comment: row, text: row.body, crumbs: [{ label: '门户', url: '/' }, { label: '编辑评论' }] })
  })

  r.post('/comments/:cid/edit', {
    config: { rateLimit },
    schema: { params: CommentParams, body: EditBody },
    preValidation: missingBodyAsEmpty
  }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'edit-own', resource: { authorId: request.user?.id ?? null } })
    const cid = parseId(request.params.cid, messages.notFound)
    const text = request.body.message ?? ''
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

  r.post('/comments/:cid/delete', { config: { rateLimit }, schema: { params: CommentParams } }, async (request, reply) => {
    const user = app.requirePermission(request, { action: 'edit-own', resource: { authorId: request.user?.id ?? null } })
    const row = await comments.remove({ commentId: parseId(request.params.cid, messages.notFound), user, now: app.clock.now(), requestId: request.id })
    if (wantsJson(request)) return { id: row.id, status: 'deleted' }
    return await reply.redirect(`/article/${row.article_id}#comments`, 303)
  })

  r.get('/mod/comments', { schema: { querystring: Type.Object({ page: QueryValue }) } }, async (request, reply) => {
    app.requirePermission(request, { action: 'moderate' })
    const queue = await comments.queue(parsePageParam(request.query.page))
    return await reply.render('comments/mod.njk', {
      items: queue.items, html: Object.fromEntries(queue.views), page: queue.page,
      pager: pagerFor(queue.page, '/mod/comments'),
      crumbs: [{ label: '管理面板', url: '/mod' }, { label: '评论审核' }]
    })
  })

  r.post('/mod/comments', {
    config: { rateLimit: { max: 60, timeWindow: '1 minute', keyGenerator: rateLimitKey } },
    schema: { body: ModBody },
    preValidation: missingBodyAsEmpty
  }, async (request, reply) => {
    const moderator = app.requirePermission(request, { action: 'moderate' })
    const body = request.body
    let action: 'approve' | 'delete'
    let ids: number[]
    const single = body.single === undefined ? null : /^(approve|delete):([1-9]\d{0,9})$/.exec(body.single)
    if (single !== null) {
      action = single[1] === 'approve' ? 'approve' : 'delete'
      ids = [Number(single[2])]
    } else {
      action = body.action === 'approve' ? 'approve' : body.action === 'delete' ? 'delete' : 'approve'
      if (body.action !== 'approve' && body.action !== 'delete') throw new HttpError(400, '请选择操作')
      ids = (body.cid ?? []).filter((s) => /^[1-9]\d{0,9}$/.test(s)).map(Number)
    }
    const changed = await comments.moderate({ ids, action, moderator, now: app.clock.now(), requestId: request.id })
    if (wantsJson(request)) return { changed }
    const page = parsePageParam(body.page)
    return await reply.redirect(page > 1 ? `/mod/comments?page=${page}` : '/mod/comments', 303)
  })
}
