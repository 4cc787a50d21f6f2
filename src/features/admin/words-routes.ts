import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { HttpError, parseId } from '../../lib/http-errors'
import { WORD_ACTIONS } from '../../lib/word-filter'
import { parsePageParam, pagerFor } from '../../lib/pagination'

/**
 * The 屏蔽词 admin page: list, add (or change) and delete words. Admins only. The matcher used
 * for posting (app.antiAbuse) is rebuilt at once in this process and within seconds in the others.
 */

const ACTION_NAMES = { block: '禁止发表', moderate: '需要审核', replace: '替换' } as const

// `?page=abc` is page 1 (parsePageParam); an id that is not a number is the 404 (parseId). The word
// rules (1–100 characters, a known action) are the service's, answered with the form again; the
// caps here only stop absurd input.
const PageQuery = Type.Object({ page: Type.Optional(Type.String()) })
const WordBody = Type.Object({
  word: Type.Optional(Type.String({ maxLength: 1000 })),
  action: Type.Optional(Type.String({ maxLength: 1000 })),
  replacement: Type.Optional(Type.String({ maxLength: 1000 }))
})
const WordParams = Type.Object({ id: Type.String() })
const WRITE_LIMIT = { rateLimit: { max: 60, timeWindow: '1 minute' } }

export default async function adminWordsRoutes (app: FastifyInstance): Promise<void> {
  const antiAbuse = app.antiAbuse
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // A POST without any body meets the CSRF check's 403, as before schemas (src/plugins/empty-form.ts).
  app.addHook('preValidation', emptyFormWhenBodiless)
  const crumbs = [{ label: '管理中心' }, { label: '词语过滤' }]

  r.get('/admin/words', { schema: { querystring: PageQuery } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const { words, page } = await antiAbuse.words.page(parsePageParam(request.query.page))
    return await reply.render('admin/words.njk', { words, actions: WORD_ACTIONS, actionNames: ACTION_NAMES, crumbs, form: {}, pager: pagerFor(page, '/admin/words') })
  })

  r.post('/admin/words', { config: WRITE_LIMIT, schema: { body: WordBody } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const body = request.body
    try {
      await antiAbuse.words.add({ word: body.word, action: body.action, replacement: body.replacement, by: admin.id, now: app.clock.now() })
    } catch (err) {
      if (!(err instanceof HttpError) || err.statusCode !== 400) throw err
      const { words, page } = await antiAbuse.words.page(1)
      reply.code(400)
      return await reply.render('admin/words.njk', { words, actions: WORD_ACTIONS, actionNames: ACTION_NAMES, crumbs, form: body, error: err.message, pager: pagerFor(page, '/admin/words') })
    }
    return await reply.redirect('/admin/words', 303)
  })

  r.post('/admin/words/:id/delete', { config: WRITE_LIMIT, schema: { params: WordParams } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    await antiAbuse.words.remove(parseId(request.params.id, '该屏蔽词不存在'))
    return await reply.redirect('/admin/words', 303)
  })
}
