import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { forbidden } from '../../lib/http-errors'
import { ARTICLE_STATUS_NAMES, ARTICLE_STATUSES, isArticleStatus } from '../../lib/article-form'
import { QueryValue, singleValue } from '../../lib/route-schemas'
import { publishingMessages, type Actor } from './publishing'

/** 文章管理 (/portal/manage): the member's articles with filters, keyset pages and bulk actions. HTTP only. */

const ManageQuery = Type.Object({ catid: QueryValue, status: QueryValue, author: QueryValue, q: QueryValue, before: QueryValue, done: QueryValue })

const BulkBody = Type.Object({
  ids: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  op: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  back: Type.Optional(Type.String())
})

const positiveInt = (s: string | undefined): number | undefined => s !== undefined && /^[1-9]\d{0,9}$/.test(s) ? Number(s) : undefined

export default async function manageRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const publishing = app.publishing

  async function actorFor (request: FastifyRequest): Promise<Actor> {
    const user = app.requirePermission(request, { action: 'write' })
    const grants = await publishing.grantsOf(user.id)
    if (!app.can(user, { action: 'write-articles', grants })) throw forbidden(publishingMessages.noRights)
    return { user, grants, now: app.clock.now(), requestId: request.id }
  }

  r.get('/portal/manage', { schema: { querystring: ManageQuery } }, async (request, reply) => {
    const actor = await actorFor(request)
    const q = request.query
    const filter = {
      categoryId: positiveInt(singleValue(q.catid)),
      status: ((s) => isArticleStatus(s) ? s : undefined)(singleValue(q.status)),
      authorName: ((s) => s === undefined || s.trim() === '' ? undefined : s.trim().normalize('NFKC'))(singleValue(q.author)),
      title: ((s) => s === undefined || s.trim() === '' ? undefined : s.trim().slice(0, 80))(singleValue(q.q)),
      beforeId: positiveInt(singleValue(q.before))
    }
    const { rows, nextBefore } = await publishing.manage(actor, filter)
    const categories = await publishing.allCategories()
    const names = new Map(categories.map((c) => [c.id, c.name]))
    // The filters without the keyset, for the next-page link and the form's return address.
    const params = new URLSearchParams()
    if (filter.categoryId !== undefined) params.set('catid', String(filter.categoryId))
    if (filter.status !== undefined) params.set('status', filter.status)
    if (filter.authorName !== undefined) params.set('author', filter.authorName)
    if (filter.title !== undefined) params.set('q', filter.title)
    const base = params.toString()
    const withBefore = (before: number): string => `/portal/manage?${base === '' ? '' : base + '&'}before=${before}`
    const done = positiveInt(singleValue(q.done)) ?? (singleValue(q.done) === '0' ? 0 : undefined)
    return await reply.render('portal/manage.njk', {
      navActive: 'portal',
      filter,
      rows: rows.map((a) => ({
        ...a,
        categoryName: names.get(Number(a.category_id)) ?? '',
        statusName: ARTICLE_STATUS_NAMES[a.status as keyof typeof ARTICLE_STATUS_NAMES] ?? a.status,
        scheduled: a.status === 'published' && Number(a.published_at) > actor.now
      })),
      categories,
      targets: await publishing.categoryChoices(actor),
      statuses: ARTICLE_STATUSES.map((s) => ({ value: s, name: ARTICLE_STATUS_NAMES[s] })),
      nextUrl: nextBefore === null ? null : withBefore(nextBefore),
      firstUrl: filter.beforeId === undefined ? null : `/portal/manage${base === '' ? '' : '?' + base}`,
      back: `/portal/manage${base === '' ? '' : '?' + base}`,
      done,
      crumbs: [{ label: '门户', url: '/' }, { label: '文章管理' }]
    })
  })

  r.post('/portal/manage', { schema: { body: BulkBody } }, async (request, reply) => {
    const actor = await actorFor(request)
    const raw = request.body.ids
    const ids = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(Number)
    const changed = await publishing.bulk(actor, ids, request.body.op ?? '', positiveInt(request.body.target) ?? null)
    // Back to the same filtered list (only a path of this page: never an address from elsewhere).
    const back = request.body.back ?? ''
    const target = /^\/portal\/manage(?:\?[^\s#]*)?$/.test(back) ? back : '/portal/manage'
    return await reply.redirect(`${target}${target.includes('?') ? '&' : '?'}done=${changed}`, 303)
  })
}
