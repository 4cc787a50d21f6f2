import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound, parseId } from '../../lib/http-errors'
import { BODY_MAX, TITLE_MAX, pageMessages, type PageErrors, type PageInput, type PagesService } from './service'

/** /page/:slug for everyone; /admin/pages (list, new, edit, delete) for admins. HTTP only. */

const ADMIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const
const PER_PAGE = 50

// Generous bounds here (the schema's 400 is a last resort); the service gives the exact Chinese messages.
const pageBody = Type.Object({
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
  slug: Type.String({ maxLength: 100 }),
  title: Type.String({ maxLength: TITLE_MAX * 4 }),
  body: Type.String({ maxLength: BODY_MAX * 2 })
})
const idParams = Type.Object({ id: Type.String({ maxLength: 12 }) })

const DONE_NOTICES: Record<string, string> = { created: '单页已创建', saved: '单页已保存', deleted: '单页已删除' }

export default async function pagesRoutes (app: FastifyInstance, opts: { service: PagesService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service
  const crumbs = (...tail: Array<{ label: string, url?: string }>): Array<{ label: string, url?: string }> => [{ label: '管理中心', url: '/admin' }, ...tail]

  // The public page: guests get it through the guest page cache like the portal's pages.
  r.get('/page/:slug', { schema: { params: Type.Object({ slug: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply
    const page = await service.published(request.params.slug)
    if (page === null) throw notFound(pageMessages.notFound)
    return await app.guestPages.send(request, reply, await reply.renderPage('pages/page.njk', { page, crumbs: [{ label: page.title }] }))
  })

  r.get('/admin/pages', {
    schema: { querystring: Type.Object({ after: Type.Optional(Type.String({ maxLength: 32 })), done: Type.Optional(Type.String({ maxLength: 10 })) }) },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const rows = await service.list(PER_PAGE + 1, request.query.after)
    const pages = rows.slice(0, PER_PAGE)
    const last = pages[pages.length - 1]
    return await reply.render('admin/pages.njk', {
      adminActive: 'pages', adminTitle: '单页', crumbs: crumbs({ label: '单页' }),
      pages, nextAfter: rows.length > PER_PAGE && last !== undefined ? last.slug : null, first: request.query.after === undefined,
      notice: DONE_NOTICES[request.query.done ?? ''] ?? ''
    })
  })

  const renderForm = async (reply: FastifyReply, form: PageInput, errors: PageErrors, id: number | null): Promise<FastifyReply> => {
    const label = id === null ? '新建单页' : '编辑单页'
    return await reply.render('admin/page-edit.njk', {
      adminActive: 'pages', adminTitle: label, crumbs: crumbs({ label: '单页', url: '/admin/pages' }, { label }),
      form, errors, id, errorCount: Object.keys(errors).length, titleMax: TITLE_MAX, bodyMax: BODY_MAX
    })
  }

  r.get('/admin/pages/new', { schema: { querystring: Type.Object({}) }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderForm(reply, { slug: '', title: '', body: '' }, {}, null)
  })

  r.post('/admin/pages', { schema: { body: pageBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const input = { slug: request.body.slug.trim(), title: request.body.title.trim(), body: request.body.body }
    const result = await service.create(input, { id: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) {
      reply.code(400)
      return await renderForm(reply, input, result.errors, null)
    }
    return await reply.redirect('/admin/pages?done=created', 303)
  })

  r.get('/admin/pages/:id/edit', { schema: { params: idParams }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const id = parseId(request.params.id, pageMessages.notFound)
    const page = await service.get(id)
    return await renderForm(reply, { slug: page.slug, title: page.title, body: page.body }, {}, id)
  })

  r.post('/admin/pages/:id', { schema: { params: idParams, body: pageBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const id = parseId(request.params.id, pageMessages.notFound)
    const input = { slug: request.body.slug.trim(), title: request.body.title.trim(), body: request.body.body }
    const result = await service.edit(id, input, { id: admin.id, now: app.clock.now(), requestId: request.id })
    if (!result.ok) {
      reply.code(400)
      return await renderForm(reply, input, result.errors, id)
    }
    return await reply.redirect('/admin/pages?done=saved', 303)
  })

  r.post('/admin/pages/:id/delete', {
    schema: { params: idParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    await service.remove(parseId(request.params.id, pageMessages.notFound), { id: admin.id, now: app.clock.now(), requestId: request.id })
    return await reply.redirect('/admin/pages?done=deleted', 303)
  })
}
