import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { AppConfig } from '../../config'
import { forbidden, parseId } from '../../lib/http-errors'
import { ARTICLE_STATUS_NAMES, ARTICLE_STATUSES, formatSiteDateTime, type ArticleFormErrors, type ArticleFormInput } from '../../lib/article-form'
import { imageSizesFor, renderBody, sizeImages } from '../../lib/markdown'
import { gmtLabel } from '../../lib/dates'
import { PathParam, QueryValue, singleValue } from '../../lib/route-schemas'
import { publishingMessages, type Actor, type SaveResult } from './publishing'
import type { EditableArticleRow } from './publishing-repository'

/**
 * 发布文章: /portal/write (new), /portal/write/:aid (edit), 预览 with and without JavaScript
 * (/portal/preview), revisions with diffs and restore. HTTP only: the rules are in publishing.ts.
 */

const ArticleBody = Type.Object({
  title: Type.Optional(Type.String()),
  catid: Type.Optional(Type.String()),
  summary: Type.Optional(Type.String()),
  source_name: Type.Optional(Type.String()),
  source_url: Type.Optional(Type.String()),
  original_author: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  allow_comments: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  publish_at: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  preview: Type.Optional(Type.String())
})
type ArticleBodyT = Static<typeof ArticleBody>

/** Previews render a body on every click: at most 20 a minute per member, like the forum's 预览. */
const PREVIEW_LIMIT = { max: 20, timeWindow: '1 minute' } as const

function formInput (b: ArticleBodyT | undefined): ArticleFormInput {
  return {
    title: b?.title ?? '',
    categoryId: b?.catid ?? '',
    summary: b?.summary ?? '',
    sourceName: b?.source_name ?? '',
    sourceUrl: b?.source_url ?? '',
    originalAuthor: b?.original_author ?? '',
    body: b?.body ?? '',
    allowComments: b?.allow_comments !== undefined,
    status: b?.status ?? 'draft',
    publishAt: b?.publish_at ?? ''
  }
}

export default async function writeRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const publishing = app.publishing

  /** The member and their grants, or the 401 / ban 403 / "not an editor" 403. */
  async function actorFor (request: FastifyRequest): Promise<Actor> {
    const user = app.requirePermission(request, { action: 'write' })
    const grants = await publishing.grantsOf(user.id)
    const actor: Actor = { user, grants, now: app.clock.now(), requestId: request.id }
    if (!app.can(user, { action: 'write-articles', grants })) throw forbidden(publishingMessages.noRights)
    return actor
  }

  /** The stored article as the form shows it; 发布时间 in the site zone as it is set now. */
  async function formOf (a: EditableArticleRow): Promise<ArticleFormInput> {
    const tz = await app.settings.timeZone()
    return {
      title: a.title,
      categoryId: String(a.category_id),
      summary: a.summary,
      sourceName: a.source_name,
      sourceUrl: a.source_url,
      originalAuthor: a.original_author,
      body: a.body,
      allowComments: Boolean(a.allow_comments),
      status: a.status,
      publishAt: formatSiteDateTime(Number(a.published_at), tz)
    }
  }

  async function renderForm (reply: FastifyReply, actor: Actor, data: {
    form: ArticleFormInput
    article?: EditableArticleRow
    version?: number
    errors?: ArticleFormErrors
    previewHtml?: string
    conflict?: Extract<SaveResult, { kind: 'conflict' }>
    notice?: string
  }): Promise<FastifyReply> {
    const choices = await publishing.categoryChoices(actor)
    const tz = await app.settings.timeZone()
    const editing = data.article !== undefined
    const errors = data.errors ?? {}
    if (Object.keys(errors).length > 0 || data.conflict !== undefined) void reply.code(data.conflict !== undefined ? 409 : 400)
    return await reply.render('portal/write.njk', {
      navActive: 'portal',
      form: data.form,
      article: data.article,
      version: data.version,
      errors,
      hasErrors: Object.keys(errors).length > 0,
      previewHtml: data.previewHtml,
      conflict: data.conflict,
      notice: data.notice,
      categories: choices,
      // What the 发布时间 field means: the site zone (站点设置 → 时区).
      timeZoneLabel: `${tz} ${gmtLabel(actor.now, tz)}`,
      statuses: ARTICLE_STATUSES.map((s) => ({ value: s, name: ARTICLE_STATUS_NAMES[s] })),
      action: editing ? `/portal/write/${data.article?.id ?? ''}` : '/portal/write',
      crumbs: [{ label: '门户', url: '/' }, { label: '文章管理', url: '/portal/manage' }, { label: editing ? '编辑文章' : '发布文章' }]
    })
  }

  /** 预览 without JavaScript: the same form with the rendered body above it (or the renderer's refusal on the body field). */
  /** A preview's HTML with its uploaded pictures sized as the saved article's are: the preview does not jump as they load. */
  async function renderPreview (body: string): Promise<{ html: string } | { refusal: string }> {
    const rendered = renderBody(body)
    if ('refusal' in rendered) return rendered
    return { html: sizeImages(rendered.html, await imageSizesFor(body, async (urls) => await app.uploads.imageSizes(urls))) }
  }

  async function previewOf (form: ArticleFormInput): Promise<{ previewHtml?: string, errors?: ArticleFormErrors }> {
    const rendered = await renderPreview(form.body)
    return 'refusal' in rendered ? { errors: { body: rendered.refusal } } : { previewHtml: rendered.html }
  }

  const previewRateLimit = {
    ...PREVIEW_LIMIT,
    hook: 'preHandler' as const,
    keyGenerator: (request: FastifyRequest): string => request.session.userId === undefined ? `apreview:ip:${request.ip}` : `apreview:u:${request.session.userId}`,
    // Only requests carrying the 预览 button (or the live-preview endpoint) count; RATE_LIMIT_ALLOW stays exempt.
    allowList: (request: FastifyRequest): boolean => opts.config.rateLimitAllow.includes(request.ip) ||
      (request.url !== '/portal/preview' && (request.body as { preview?: unknown } | undefined)?.preview === undefined)
  }

  r.get('/portal/write', { schema: { querystring: Type.Object({ catid: QueryValue }) } }, async (request, reply) => {
    const actor = await actorFor(request)
    const catid = singleValue(request.query.catid) ?? ''
    return await renderForm(reply, actor, { form: { ...formInput(undefined), categoryId: catid, allowComments: true, status: 'published' } })
  })

  r.post('/portal/write', { schema: { body: ArticleBody }, config: { rateLimit: previewRateLimit } }, async (request, reply) => {
    const actor = await actorFor(request)
    const form = formInput(request.body)
    if (request.body.preview !== undefined) return await renderForm(reply, actor, { form, ...await previewOf(form) })
    const result = await publishing.create(actor, form)
    if (result.kind === 'invalid') return await renderForm(reply, actor, { form, errors: result.errors })
    if (result.kind !== 'saved') throw new Error('unexpected save result')
    return await reply.redirect(`/portal/write/${result.id}?saved=1`, 303)
  })

  const AidParams = Type.Object({ aid: PathParam })

  r.get('/portal/write/:aid', { schema: { params: AidParams, querystring: Type.Object({ saved: QueryValue, restored: QueryValue }) } }, async (request, reply) => {
    const actor = await actorFor(request)
    const article = await publishing.editable(actor, parseId(request.params.aid, publishingMessages.articleNotFound))
    const restored = singleValue(request.query.restored)
    const notice = restored !== undefined && /^\d+$/.test(restored)
      ? `已恢复到版本 ${restored}（作为新版本保存）`
      : singleValue(request.query.saved) !== undefined ? savedNotice(article, actor.now) : undefined
    return await renderForm(reply, actor, { form: await formOf(article), article, version: Number(article.version), notice })
  })

  function savedNotice (article: EditableArticleRow, now: number): string {
    if (article.status === 'published' && Number(article.published_at) > now) return '文章已保存，将于发布时间自动发布'
    return `文章已保存（${ARTICLE_STATUS_NAMES[article.status as keyof typeof ARTICLE_STATUS_NAMES] ?? article.status}）`
  }

  r.post('/portal/write/:aid', { schema: { params: AidParams, body: ArticleBody }, config: { rateLimit: previewRateLimit } }, async (request, reply) => {
    const actor = await actorFor(request)
    const id = parseId(request.params.aid, publishingMessages.articleNotFound)
    const article = await publishing.editable(actor, id)
    const form = formInput(request.body)
    const opened = Number(request.body.version ?? article.version)
    if (request.body.preview !== undefined) return await renderForm(reply, actor, { form, article, version: opened, ...await previewOf(form) })
    const result = await publishing.update(actor, id, opened, form)
    if (result.kind === 'invalid') return await renderForm(reply, actor, { form, article, version: opened, errors: result.errors })
    if (result.kind === 'conflict') {
      // The typed text stays in the form; it now carries the current version, so saving again is a
      // deliberate overwrite made after seeing the other's changes.
      return await renderForm(reply, actor, { form, article: result.current, version: Number(result.current.version), conflict: result })
    }
    return await reply.redirect(`/portal/write/${id}?saved=1`, 303)
  })

  // The live side-by-side preview: the same renderer and bounds as saving, JSON in and out.
  r.post('/portal/preview', { schema: { body: Type.Object({ body: Type.Optional(Type.String()) }) }, config: { rateLimit: previewRateLimit } }, async (request, reply) => {
    await actorFor(request)
    const rendered = await renderPreview(request.body.body ?? '')
    if ('refusal' in rendered) return await reply.code(400).send({ error: rendered.refusal })
    return await reply.send({ html: rendered.html })
  })

  r.get('/portal/write/:aid/revisions', { schema: { params: AidParams } }, async (request, reply) => {
    const actor = await actorFor(request)
    const view = await publishing.revisions(actor, parseId(request.params.aid, publishingMessages.articleNotFound))
    return await reply.render('portal/revisions.njk', {
      navActive: 'portal',
      ...view,
      crumbs: [{ label: '门户', url: '/' }, { label: '文章管理', url: '/portal/manage' }, { label: view.article.title, url: `/portal/write/${view.article.id}` }, { label: '历史版本' }]
    })
  })

  const RevisionParams = Type.Object({ aid: PathParam, v: PathParam })

  r.get('/portal/write/:aid/revisions/:v', { schema: { params: RevisionParams } }, async (request, reply) => {
    const actor = await actorFor(request)
    const id = parseId(request.params.aid, publishingMessages.articleNotFound)
    const view = await publishing.revisionDiff(actor, id, parseId(request.params.v, publishingMessages.revisionNotFound))
    return await reply.render('portal/revision.njk', {
      navActive: 'portal',
      ...view,
      crumbs: [{ label: '门户', url: '/' }, { label: '文章管理', url: '/portal/manage' }, { label: view.article.title, url: `/portal/write/${id}` }, { label: '历史版本', url: `/portal/write/${id}/revisions` }, { label: `版本 ${view.revision.version}` }]
    })
  })

  r.post('/portal/write/:aid/revisions/:v/restore', { schema: { params: RevisionParams, body: Type.Object({ version: Type.Optional(Type.String()) }) } }, async (request, reply) => {
    const actor = await actorFor(request)
    const id = parseId(request.params.aid, publishingMessages.articleNotFound)
    const v = parseId(request.params.v, publishingMessages.revisionNotFound)
    const article = await publishing.editable(actor, id)
    const result = await publishing.restore(actor, id, v, Number(request.body.version ?? article.version))
    if (result.kind === 'conflict') {
      return await renderForm(reply, actor, { form: await formOf(result.current), article: result.current, version: Number(result.current.version), conflict: result })
    }
    return await reply.redirect(`/portal/write/${id}?restored=${v}`, 303)
  })
}
