import type { Knex } from 'knex'
import { isUniqueViolation, transactionWithRetry } from '../../db/knex'
import { startOfSiteDay } from '../../lib/dates'
import type { SiteTimeZone } from '../../lib/time-zone'
import { HttpError } from '../../lib/http-errors'
import type { AuthUser } from '../../lib/permissions'
import type { PortalService } from '../portal'
import { reactionsRepository, REACTION_KEYS, type ReactionKey, type ReactionKindRow, type ReactionRow } from './repository'
import { kindMessages, reactionKindsAdmin, type KindAudit } from './kinds'
import type { NotificationsService } from '../notifications'

/**
 * 表态 rules. Discuz checks-then-inserts (two quick clicks both count); here the unique key on
 * (article, member) decides, and every counter change happens in the same transaction as its row.
 * Lock order, the same in every transaction: the article row first (portal.lockArticle), then the
 * reaction row. The insert's foreign-key check would otherwise take a shared lock on the article
 * that two transactions then both try to upgrade, and a change or withdrawal taking the reaction
 * row first would deadlock with a new reaction holding the article.
 */

export const CHANGE_WINDOW_SECONDS = 10 * 60
/** How long a process trusts its copy of the kinds: an admin's change shows on other processes within this. */
export const KINDS_CACHE_MS = 5000
export const RECENT_REACTORS = 24

export const messages = {
  own: '您不能给自己表态',
  already: '您已表过态',
  dailyCap: '您今天的表态次数已达上限，请明天再来',
  badKind: '请选择一种表态',
  notReacted: '您还没有表态',
  reacted: '表态成功',
  changed: '已修改表态',
  withdrawn: '已撤销表态'
} as const

export interface ArticleRef { id: number, author_id: number }
export interface ReactionCounts { [key: string]: number }

export interface ReactionResult { message: string, mine: ReactionRow | null }

export interface ReactionsDeps {
  dailyCap: () => Promise<number>
  /** The live site zone: the daily cap restarts at its midnight. */
  timeZone: SiteTimeZone<Knex.Transaction>
  /** The article row's lock and counters (the portal owns the articles table). */
  portal: PortalService
  /** The icons admins may choose for a kind (/admin/reactions). */
  icons?: readonly string[]
  /** Records an admin's change of a kind in the audit log, in its transaction. */
  audit?: KindAudit
  /** 提醒 (app.notifications): the article's author is told, grouped per article (`3 人对你的文章表态`). */
  notifications?: Pick<NotificationsService, 'notify'>
}

export function reactionsService (db: Knex, deps: ReactionsDeps) {
  const repo = reactionsRepository(db)
  const { portal } = deps
  let kindsCache: { rows: ReactionKindRow[], at: number } | null = null

  async function existingOrAlready (article: ArticleRef, user: AuthUser, kind: ReactionKey, now: number): Promise<ReactionResult> {
    const existing = await repo.find(article.id, user.id)
    if (existing === null) throw new HttpError(409, messages.already) // vanished between the two statements: try again later
    if (existing.kind === kind || existing.created_at <= now - CHANGE_WINDOW_SECONDS) throw new HttpError(409, messages.already)
    const changed = await transactionWithRetry(db, async (trx) => {
      await portal.lockArticle(trx, article.id)
      if (!await repo.changeKind(article.id, user.id, existing.kind, kind, now - CHANGE_WINDOW_SECONDS, trx)) return false
      await portal.adjustReactionCount(trx, article.id, { [existing.kind]: -1, [kind]: 1 })
      return true
    })
    if (!changed) throw new HttpError(409, messages.already)
    return { message: messages.changed, mine: await repo.find(article.id, user.id) }
  }

  /** Every known kind, enabled or not, from this process's copy (reread after KINDS_CACHE_MS). */
  async function allKinds (nowMs: number): Promise<ReactionKindRow[]> {
    if (kindsCache === null || nowMs - kindsCache.at > KINDS_CACHE_MS || nowMs < kindsCache.at) {
      const rows = (await repo.kinds()).filter((k) => (REACTION_KEYS as readonly string[]).includes(k.key))
      kindsCache = { rows, at: nowMs }
    }
    return kindsCache.rows
  }

  return {
    /** The enabled kinds in display order (admins rename, reorder and disable them; counts follow the key). */
    async kinds (nowMs: number): Promise<ReactionKindRow[]> {
      return (await allKinds(nowMs)).filter((k) => k.enabled)
    },

    /** Every kind, disabled ones included (names for reactions already given with a kind now disabled). */
    allKinds,

    /** /admin/reactions: rename, icon, enable/disable, reorder (src/features/reactions/kinds.ts). */
    admin: reactionKindsAdmin({
      db,
      repo,
      icons: deps.icons ?? [],
      audit: deps.audit ?? (async () => { throw new Error('reactions: no audit log given, kinds cannot be changed') }),
      changed: () => { kindsCache = null }
    }),

    /** An article's counters as they are now (a member sees their own click at once, not the page's shared copy). */
    counts: async (articleId: number) => await portal.reactionCounts(articleId),

    mine: async (articleId: number, userId: number) => await repo.find(articleId, userId),
    recent: async (articleId: number) => await repo.recent(articleId, RECENT_REACTORS),

    /** Records (or, within the window, changes) the member's reaction to an article. */
    async react (article: ArticleRef, user: AuthUser, kind: ReactionKey, now: number, nowMs = now * 1000): Promise<ReactionResult> {
      if (article.author_id === user.id) throw new HttpError(403, messages.own)
      // A kind an admin disabled leaves the widget and takes no new reactions (its count is kept).
      if (!(await allKinds(nowMs)).some((k) => k.key === kind && k.enabled)) throw new HttpError(400, kindMessages.disabled)
      const existing = await repo.find(article.id, user.id)
      if (existing !== null) return await existingOrAlready(article, user, kind, now)
      const cap = await deps.dailyCap()
      try {
        await transactionWithRetry(db, async (trx) => {
          await portal.lockArticle(trx, article.id)
          if (await repo.countSince(user.id, startOfSiteDay(now, await deps.timeZone(trx)), trx) >= cap) throw new HttpError(429, messages.dailyCap)
          await portal.adjustReactionCount(trx, article.id, { [kind]: 1 })
          await repo.insert(article.id, user.id, kind, now, trx)
          if (deps.notifications !== undefined) {
            const target = await portal.authorAndTitle(trx, article.id)
            if (target !== null) {
              await deps.notifications.notify(trx, {
                to: target.authorId, kind: 'article_reaction', actor: { id: user.id, name: user.username },
                target: { type: 'article', id: article.id }, title: target.title, url: `/article/${article.id}`
              }, now)
            }
          }
        })
      } catch (err) {
        // Another request of the same member got there first: the unique key kept it to one row.
        if (isUniqueViolation(err)) return await existingOrAlready(article, user, kind, now)
        throw err
      }
      return { message: messages.reacted, mine: await repo.find(article.id, user.id) }
    },

    /** Takes the member's reaction back, only within the window. */
    async withdraw (article: ArticleRef, user: AuthUser, now: number): Promise<ReactionResult> {
      const existing = await repo.find(article.id, user.id)
      if (existing === null) throw new HttpError(409, messages.notReacted)
      if (existing.created_at <= now - CHANGE_WINDOW_SECONDS) throw new HttpError(409, messages.already)
      const done = await transactionWithRetry(db, async (trx) => {
        await portal.lockArticle(trx, article.id)
        if (!await repo.withdraw(article.id, user.id, existing.kind, now - CHANGE_WINDOW_SECONDS, trx)) return false
        await portal.adjustReactionCount(trx, article.id, { [existing.kind]: -1 })
        return true
      })
      if (!done) throw new HttpError(409, messages.already)
      return { message: messages.withdrawn, mine: null }
    }
  }
}

export type ReactionsService = ReturnType<typeof reactionsService>
