import type { FastifyInstance } from 'fastify'
import { HttpError, parseId } from '../../lib/http-errors'
import { WORD_ACTIONS } from '../../lib/word-filter'
import { parsePageParam, pagerFor } from '../../lib/pagination'
import { antiAbuseFor } from '../antiabuse/service'

/**
 * The 屏蔽词 admin page: list, add (or change) and delete words. Admins only. The matcher used
 * for posting is rebuilt at once in this process and within seconds in the others.
 */

const ACTION_NAMES = { block: '禁止发表', moderate: '需要审核', replace: '替换' } as const

interface WordForm { word?: string, action?: string, replacement?: string }

export default async function adminWordsRoutes (app: FastifyInstance): Promise<void> {
  const antiAbuse = antiAbuseFor(app.db)
  const crumbs = [{ label: '管理中心' }, { label: '词语过滤' }]

  app.get<{ Querystring: { page?: string } }>('/admin/words', async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const { words, page } = await antiAbuse.words.page(parsePageParam(request.query.page))
    return await reply.render('admin/words.njk', { words, actions: WORD_ACTIONS, actionNames: ACTION_NAMES, crumbs, form: {}, pager: pagerFor(page, '/admin/words') })
  })

  app.post<{ Body: WordForm }>('/admin/words', { config: { rateLimit: { max: 60, timeWindow: '1 minute' } } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const body = request.body ?? {}
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

  app.post<{ Params: { id: string } }>('/admin/words/:id/delete', { config: { rateLimit: { max: 60, timeWindow: '1 minute' } } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    await antiAbuse.words.remove(parseId(request.params.id, '该屏蔽词不存在'))
    return await reply.redirect('/admin/words', 303)
  })
}
