import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppConfig } from '../../config'
import { wantsJson } from '../../plugins/errors'
import { HttpError, parseId } from '../../lib/http-errors'
import { postingBan } from '../../lib/permissions'
import { portalService, ARTICLE_NOT_FOUND } from '../portal/service'
import type { ArticleRow } from '../portal/repository'
import { isReactionKey, REACTION_KEYS } from './repository'
import { reactionsService, messages, CHANGE_WINDOW_SECONDS } from './service'

/** 表态 under portal articles: the widget (an article-page section) and POST /article/:aid/react. HTTP only. */

interface ReactBody { kind?: string }

// Scripted clicking is stopped by the daily cap; this keeps bursts off the database.
const REACT_LIMIT = { max: 30, timeWindow: '1 minute' }

type Counters = Pick<ArticleRow, 'react_luguo' | 'react_leiren' | 'react_woshou' | 'react_xianhua' | 'react_jidan'>

export default async function reactionsRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const reactions = reactionsService(app.db, {
    dailyCap: async () => await app.settings.getNumber('reactions_daily_cap'),
    timeZone: opts.config.siteTimezone
  })
  // The write path checks the article as it is now (no shared one-second copy).
  const portal = portalService(app.db, () => app.clock.nowMs(), { articleCacheMs: 0, countCacheMs: 0 })

  /** Everything the widget shows: kinds with counts and bar heights, the member's own reaction, recent reactors. */
  async function widget (article: { id: number, author_id: number } & Counters, request: FastifyRequest): Promise<Record<string, unknown>> {
    const user = request.user
    const now = app.clock.now()
    let counters: Counters = article
    if (user !== null) {
      // Members see their own click at once: fresh counters, not the page's shared copy.
      const fresh = await app.db('articles').where({ id: article.id }).first<Counters | undefined>(...REACTION_KEYS.map((k) => `react_${k}`))
      if (fresh !== undefined) counters = fresh
    }
    const [kinds, recent, mine] = await Promise.all([
      reactions.kinds(app.clock.nowMs()),
      reactions.recent(article.id),
      user === null ? Promise.resolve(null) : reactions.mine(article.id, user.id)
    ])
    const countOf = (key: string): number => isReactionKey(key) ? Number(counters[`react_${key}`]) : 0
    const max = Math.max(1, ...kinds.map((k) => countOf(k.key)))
    const total = kinds.reduce((a, k) => a + countOf(k.key), 0)
    const names = Object.fromEntries(kinds.map((k) => [k.key, k.name]))
    return {
      articleId: article.id,
      kinds: kinds.map((k) => ({ key: k.key, name: k.name, icon: k.icon, count: countOf(k.key), height: Math.round((countOf(k.key) / max) * 100), mine: mine?.kind === k.key })),
      total,
      recent: recent.map((r) => ({ uid: r.user_id, username: r.username, kindName: names[r.kind] ?? r.kind })),
      isGuest: user === null,
      ownArticle: user !== null && user.id === article.author_id,
      // 禁止发言 covers reactions: the ban is shown in place of the buttons (counts stay visible).
      ban: postingBan(user, now),
      mine: mine === null ? null : { kind: mine.kind, name: names[mine.kind] ?? mine.kind, changeable: mine.created_at > now - CHANGE_WINDOW_SECONDS },
      loginUrl: `/login?return=${encodeURIComponent(`/article/${article.id}#click`)}`
    }
  }

  app.articleSections.add('reactions', async ({ article, request }) => await widget(article, request))

  app.post<{ Params: { aid: string }, Body: ReactBody }>('/article/:aid/react', {
    config: { rateLimit: REACT_LIMIT },
    schema: { body: { type: 'object', properties: { kind: { type: 'string', maxLength: 16 } } } }
  }, async (request, reply) => {
    const id = parseId(request.params.aid, ARTICLE_NOT_FOUND)
    if (request.user === null) {
      throw new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: `/login?return=${encodeURIComponent(`/article/${id}#click`)}` })
    }
    const user = app.requirePermission(request, { action: 'write' })
    const { article } = await portal.articleRow(id)
    const kind = request.body?.kind
    const now = app.clock.now()
    let result
    if (kind === 'withdraw') {
      result = await reactions.withdraw(article, user, now)
    } else {
      if (!isReactionKey(kind)) throw new HttpError(400, messages.badKind)
      result = await reactions.react(article, user, kind, now)
    }
    if (!wantsJson(request)) return await reply.redirect(`/article/${id}#click`, 303)
    const data = await widget({ ...article, author_id: article.author_id }, request)
    const page = await reply.renderPage('reactions/fragment.njk', { reactions: data })
    void reply.type('application/json; charset=utf-8') // rendering set text/html
    return { message: result.message, mine: data.mine, counts: Object.fromEntries((data.kinds as Array<{ key: string, count: number }>).map((k) => [k.key, k.count])), html: page.html }
  })
}
