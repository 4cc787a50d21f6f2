import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { HttpError, parseId } from '../../lib/http-errors'
import { normalizeWord, WORD_ACTIONS } from '../../lib/word-filter'
import { formatWordLine, parseWordLines, wordLineMessages, type WordLine, type WordLineError } from '../../lib/word-lines'
import { parsePageParam, pagerFor } from '../../lib/pagination'

/**
 * The 屏蔽词 admin page (in the admin centre's layout): list, add (or change) and delete words, and
 * the whole list as text, one `word=action[=replacement]` a line (src/lib/word-lines.ts): exported
 * as a download, imported with a preview, all lines in one audited transaction or none. Admins only.
 * The matcher used for posting (app.antiAbuse) is rebuilt at once in this process and within
 * seconds in the others.
 */

const ACTION_NAMES = { block: '禁止发表', moderate: '需要审核', replace: '替换' } as const

// `?page=abc` is page 1 (parsePageParam); an id that is not a number is the 404 (parseId). The word
// rules (1–100 characters, a known action) are the service's, answered with the form again; the
// caps here only stop absurd input.
const WordBody = Type.Object({
  word: Type.Optional(Type.String({ maxLength: 1000 })),
  action: Type.Optional(Type.String({ maxLength: 1000 })),
  replacement: Type.Optional(Type.String({ maxLength: 1000 }))
})
const WordParams = Type.Object({ id: Type.String() })
// 256 KB is the app's body limit; 5,000 lines of up to 100 + 100 characters fit under it.
const ImportBody = Type.Object({
  lines: Type.Optional(Type.String({ maxLength: 250_000 })),
  op: Type.Optional(Type.Union([Type.Literal('preview'), Type.Literal('apply')]))
})
const DoneQuery = Type.Object({ page: Type.Optional(Type.String()), imported: Type.Optional(Type.String({ maxLength: 12 })) })
const IMPORT_LIMIT = { rateLimit: { max: 20, timeWindow: '1 minute' } }

interface ImportView { text: string, lines?: WordLine[], errors?: WordLineError[] }
const ADMIN_LIMIT = { rateLimit: { max: 60, timeWindow: '1 minute' } }

export default async function adminWordsRoutes (app: FastifyInstance): Promise<void> {
  const antiAbuse = app.antiAbuse
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // A POST without any body meets the CSRF check's 403, as before schemas (src/plugins/empty-form.ts).
  app.addHook('preValidation', emptyFormWhenBodiless)
  const crumbs = [{ label: '管理中心', url: '/admin' }, { label: '屏蔽词' }]

  async function render (reply: FastifyReply, requested: number, extra: { form?: unknown, error?: string, notice?: string, importing?: ImportView } = {}): Promise<FastifyReply> {
    const { words, page } = await antiAbuse.words.page(requested)
    return await reply.render('admin/words.njk', {
      adminActive: 'words', adminTitle: '屏蔽词', crumbs, words, actions: WORD_ACTIONS, actionNames: ACTION_NAMES,
      form: {}, importing: { text: '' }, pager: pagerFor(page, '/admin/words'), ...extra
    })
  }

  r.get('/admin/words', { config: ADMIN_LIMIT, schema: { querystring: DoneQuery } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const imported = request.query.imported
    const notice = imported !== undefined && /^\d{1,5}$/.test(imported) ? `已导入 ${imported} 个屏蔽词` : ''
    return await render(reply, parsePageParam(request.query.page), { notice })
  })

  r.post('/admin/words', { config: ADMIN_LIMIT, schema: { body: WordBody } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const body = request.body
    try {
      await antiAbuse.words.add({ word: body.word, action: body.action, replacement: body.replacement, by: admin.id, now: app.clock.now() }, async (trx, before, after) => {
        await app.moderation.audit.record({
          actorId: admin.id, action: 'word_save', targetType: 'word', targetId: before?.id ?? 0, reason: after.word,
          before: before === null ? undefined : formatWordLine(before), after: formatWordLine(after), requestId: request.id, at: app.clock.now()
        }, trx)
      })
    } catch (err) {
      if (!(err instanceof HttpError) || err.statusCode !== 400) throw err
      reply.code(400)
      return await render(reply, 1, { form: body, error: err.message })
    }
    return await reply.redirect('/admin/words', 303)
  })

  // The whole list as text: what the import reads back unchanged.
  r.get('/admin/words/export.txt', { config: IMPORT_LIMIT, schema: { querystring: Type.Object({}) } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const words = await antiAbuse.words.all()
    const body = words.map((w) => formatWordLine(w)).join('\n') + (words.length > 0 ? '\n' : '')
    return await reply.type('text/plain; charset=utf-8')
      .header('Content-Disposition', 'attachment; filename="words.txt"')
      .header('Cache-Control', 'no-store')
      .send(body)
  })

  r.post('/admin/words/import', { config: IMPORT_LIMIT, schema: { body: ImportBody } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const text = request.body.lines ?? ''
    const { lines, errors } = parseWordLines(text, normalizeWord)
    if (lines.length === 0 && errors.length === 0) errors.push({ line: 0, text: '', message: wordLineMessages.nothing })
    if (errors.length > 0) {
      reply.code(400)
      return await render(reply, 1, { importing: { text, lines, errors }, error: `有 ${errors.length} 行有误，未导入任何词语` })
    }
    if (request.body.op !== 'apply') return await render(reply, 1, { importing: { text, lines } })
    await antiAbuse.words.importLines(lines, admin.id, app.clock.now(), async (trx, before, after) => {
      await app.moderation.audit.record({
        actorId: admin.id, action: 'words_import', targetType: 'word', targetId: 0, reason: `${after.length} 行`,
        before: before.map((w) => formatWordLine(w)), after: after.map((w) => formatWordLine(w)), requestId: request.id, at: app.clock.now()
      }, trx)
    })
    return await reply.redirect(`/admin/words?imported=${lines.length}`, 303)
  })

  r.post('/admin/words/:id/delete', { config: ADMIN_LIMIT, schema: { params: WordParams } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    await antiAbuse.words.remove(parseId(request.params.id, '该屏蔽词不存在'), async (trx, before) => {
      await app.moderation.audit.record({
        actorId: admin.id, action: 'word_delete', targetType: 'word', targetId: before.id, reason: before.word,
        before: formatWordLine(before), requestId: request.id, at: app.clock.now()
      }, trx)
    })
    return await reply.redirect('/admin/words', 303)
  })
}
