import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { wantsJson } from '../../plugins/errors'
import { HttpError, parseId } from '../../lib/http-errors'
import { postingBan } from '../../lib/permissions'
import { PathParam } from '../../lib/route-schemas'
import { ARTICLE_NOT_FOUND, type ArticleRow, type ReactionCounters } from '../portal'
import { isReactionKey } from './repository'
import { messages, CHANGE_WINDOW_SECONDS } from './service'

/** 表态 under portal articles: the widget (an article-page section) and POST /article/:aid/react. HTTP only. */

// `kind` is a reaction key or `withdraw`; the handler answers an unknown one with its own message.
const ReactBody = Type.Object({ kind: Type.Optional(Type.String({ maxLength: 16 })) })

// Scripted clicking is stopped by the daily cap; this keeps bursts off the database.
const REACT_LIMIT = { max: 30, timeWindow: '1 minute' }

type WidgetArticle = Pick<ArticleRow, 'id' | 'author_id' | 'react_luguo' | 'react_leiren' | 'react_woshou' | 'react_xianhua' | 'react_jidan'>

/** The counters as the (possibly shared) article row had them. */
function countersOfRow (article: WidgetArticle): ReactionCounters {
  return { luguo: article.react_luguo, leiren: article.react_leiren, woshou: article.react_woshou, xianhua: article.react_xianhua, jidan: article.react_jidan }
}

export default async function reactionsRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const reactions = app.reactions

  /** Everything the widget shows: kinds with counts and bar heights, the member's own reaction, recent reactors. */
  async function widget (article: WidgetArticle, request: FastifyRequest): Promise<Record<string, unknown>> {
    const user = request.user
    const now = app.clock.now()
    // Members see their own click at once: fresh counters from the primary, not the page's shared copy.
    const counters = (user === null ? null : await reactions.counts(article.id)) ?? countersOfRow(article)
    const [kinds, allKinds, recent, mine] = await Promise.all([
      reactions.kinds(app.clock.nowMs()),
      reactions.allKinds(app.clock.nowMs()),
      reactions.recent(article.id),
      user === null ? Promise.resolve(null) : reactions.mine(article.id, user.id)
    ])
    const countOf = (key: string): number => isReactionKey(key) ? Number(counters[key]) : 0
    const max = Math.max(1, ...kinds.map((k) => countOf(k.key)))
    const total = kinds.reduce((a, k) => a + countOf(k.key), 0)
    // A reaction given with a kind now disabled is still named (the kind left the buttons, not the history).
    const names = Object.fromEntries(allKinds.map((k) => [k.key, k.name]))
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

  /**
   * The member's own 表态 in a plain member's shared copy of the article (src/plugins/member-pages.ts):
   * one indexed lookup (article, member) and the kinds' in-process copy. The widget's counts are the
   * copy's (at most its second old); after their own click a member's page is rendered fresh.
   */
  async function ownReaction (articleId: number, request: FastifyRequest): Promise<Record<string, string>> {
    const user = request.user
    if (user === null) return {}
    const mine = await reactions.mine(articleId, user.id)
    if (mine === null) return {}
    const names = Object.fromEntries((await reactions.allKinds(app.clock.nowMs())).map((k) => [k.key, k.name]))
    const changeable = mine.created_at > app.clock.now() - CHANGE_WINDOW_SECONDS
    return {
      'reaction-mine': await app.view('reactions/_mine.njk', { mine: { name: names[mine.kind] ?? mine.kind, changeable }, ban: null }),
      [`chosen-${mine.kind}`]: ' react-chosen',
      'reaction-withdraw': changeable ? '1' : ''
    }
  }

  app.articleSections.add('reactions', async ({ article, request }) => await widget(article, request),
    async ({ articleId, request }) => await ownReaction(articleId, request))

  r.post('/article/:aid/react', {
    config: { rateLimit: REACT_LIMIT },
    schema: { params: Type.Object({ aid: PathParam }), body: ReactBody }
  }, async (request, reply) => {
    const id = parseId(request.params.aid, ARTICLE_NOT_FOUND)
    if (request.user === null) {
      throw new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: `/login?return=${encodeURIComponent(`/article/${id}#click`)}` })
    }
    const user = app.requirePermission(request, { action: 'write' })
    // The write path checks the article as it is now (never the page's shared one-second copy).
    const { article } = await app.portal.articleRow(id)
    const kind = request.body.kind
    const now = app.clock.now()
    let result
    if (kind === 'withdraw') {
      result = await reactions.withdraw(article, user, now)
    } else {
      if (!isReactionKey(kind)) throw new HttpError(400, messages.badKind)
      result = await reactions.react(article, user, kind, now, app.clock.nowMs())
    }
    if (!wantsJson(request)) return await reply.redirect(`/article/${id}#click`, 303)
    const data = await widget(article, request)
    const page = await reply.renderPage('reactions/fragment.njk', { reactions: data })
    void reply.type('application/json; charset=utf-8') // rendering set text/html
    return { message: result.message, mine: data.mine, counts: Object.fromEntries((data.kinds as Array<{ key: string, count: number }>).map((k) => [k.key, k.count])), html: page.html }
  })
}
