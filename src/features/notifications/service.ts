import type { Knex } from 'knex'
import { badRequest } from '../../lib/http-errors'
import { mentionedNames, quotedName } from '../../lib/mentions'
import { normalizeUsername } from '../../lib/username-skeleton'
import { notificationsRepository, type NotificationRow } from './repository'

/**
 * 提醒: notices written in the transaction of the event they tell of (the caller passes its `trx`), so
 * an event that rolls back leaves no notice and a notice never exists without its event. Never to the
 * actor, never from someone the recipient blocked, never of a kind the recipient switched off. The
 * unread counter on the member row moves in the same transaction. No Fastify here.
 */

export type NotificationKind =
  | 'thread_reply' | 'post_quote' | 'comment_quote' | 'article_comment' | 'article_reaction'
  | 'approved' | 'removed' | 'banned' | 'unbanned' | 'mention'

/** The kinds a member sets a channel for (/notifications/settings), and which notices each covers. */
export const PREF_KINDS = [
  { key: 'reply', label: '回复我的主题', kinds: ['thread_reply'] },
  { key: 'quote', label: '引用我的帖子或评论', kinds: ['post_quote', 'comment_quote'] },
  { key: 'mention', label: '@提到我', kinds: ['mention'] },
  { key: 'comment', label: '评论我的文章', kinds: ['article_comment'] },
  { key: 'reaction', label: '对我的文章表态', kinds: ['article_reaction'] },
  { key: 'moderation', label: '帖子或评论审核通过、被删除', kinds: ['approved', 'removed'] },
  { key: 'ban', label: '禁言与解除禁言', kinds: ['banned', 'unbanned'] }
] as const
export type PrefKey = typeof PREF_KINDS[number]['key']
export const CHANNELS = ['site', 'email', 'off'] as const
export type Channel = typeof CHANNELS[number]
export const CHANNEL_NAMES: Readonly<Record<Channel, string>> = { site: '站内提醒', email: '站内提醒 + 邮件摘要', off: '不提醒' }

const prefKeyOf = (kind: NotificationKind): PrefKey => PREF_KINDS.find((p) => (p.kinds as readonly string[]).includes(kind))?.key ?? 'reply'

/** Kinds kept as one unread row per target (`3 人对你的文章表态`). */
const GROUPED: ReadonlySet<NotificationKind> = new Set(['article_reaction'])

export const PAGE_SIZE = 20

export const notificationMessages = {
  badPref: '提醒设置有误，请重新选择',
  badCursor: '翻页参数有误'
} as const

export interface Actor { id: number, name: string }
export interface NotifyInput {
  to: number
  kind: NotificationKind
  actor: Actor | null
  target: { type: string, id: number }
  /** What the notice names: a thread or article title, or a ban's reason. */
  title: string
  url: string
}

/** One post's notices: explicit recipients first (a quote outranks a reply), then @mentions; one notice a person. */
export interface ContributionNotices {
  actor: Actor
  text: string
  target: { type: string, id: number }
  /**
   * What an @mention points at when it is not `target`: a comment's mention names the comment (its notice
   * reads 在评论中提到了您), while the author's notice of the comment stays with the article's others.
   */
  mentionTarget?: { type: string, id: number }
  title: string
  url: string
  /** Recipients the event itself has (the quoted author, the thread's author, the article's author) in priority order. */
  recipients: Array<{ to: number | null, kind: NotificationKind }>
}

export interface NotificationView {
  id: number
  kind: string
  unread: boolean
  actorId: number | null
  actorName: string
  actorCount: number
  text: string
  title: string
  url: string
  at: number
  targetKey: string
}

export interface NotificationGroup { targetKey: string, title: string, url: string, items: NotificationView[] }

/** Groups about a thread, an article or a comment are headed by its title; bans and lifts by this. */
const SYSTEM_HEADING = '系统提醒'
const TITLED_TARGETS = new Set(['thread', 'article', 'comment'])

export interface NotificationsDeps {
  db: Knex
  /** Whether `userId` blocked `actorId` (app.memberBlocks). */
  isBlocked: (trx: Knex.Transaction, userId: number, actorId: number) => Promise<boolean>
}

function describe (row: NotificationRow): string {
  const noun = row.target_type === 'comment' ? '评论' : '帖子'
  switch (row.kind as NotificationKind) {
    case 'thread_reply': return '回复了您的主题'
    case 'post_quote': return '在回复中引用了您的帖子'
    case 'comment_quote': return '在评论中引用了您的评论'
    case 'article_comment': return '评论了您的文章'
    case 'article_reaction': return row.actor_count > 1 ? `${row.actor_count} 人对你的文章表态` : '对你的文章表态'
    case 'approved': return `您的${noun}已通过审核`
    case 'removed': return `您的${noun}已被管理员删除`
    case 'banned': return row.target_type === 'ban_visit' ? '您已被禁止访问，理由：' : '您已被禁止发言，理由：'
    case 'unbanned': return '您的处罚已解除，理由：'
    case 'mention': return row.target_type === 'comment' ? '在评论中提到了您' : '在帖子中提到了您'
  }
  return ''
}

export function toView (row: NotificationRow): NotificationView {
  return {
    id: row.id,
    kind: row.kind,
    unread: row.read_at === null,
    actorId: row.actor_id,
    actorName: row.actor_name,
    actorCount: row.actor_count,
    text: describe(row),
    title: row.title,
    url: row.url,
    at: row.updated_at,
    targetKey: `${row.target_type}:${row.target_id}`
  }
}

/** Notices grouped by target in first-seen order (the /notifications page and the e-mail digest). */
export function groupByTarget (rows: readonly NotificationRow[]): NotificationGroup[] {
  const groups: NotificationGroup[] = []
  const byTarget = new Map<string, NotificationGroup>()
  for (const row of rows) {
    const view = toView(row)
    let g = byTarget.get(view.targetKey)
    if (g === undefined) {
      g = TITLED_TARGETS.has(row.target_type) ? { targetKey: view.targetKey, title: row.title, url: row.url, items: [] } : { targetKey: view.targetKey, title: SYSTEM_HEADING, url: '', items: [] }
      byTarget.set(view.targetKey, g)
      groups.push(g)
    }
    g.items.push(view)
  }
  return groups
}

/** At most one digest a member per this many seconds. */
export const DIGEST_EVERY_SECONDS = 3600
/** Notices named in one digest (the newest; the mail links to /notifications for the rest). */
export const DIGEST_MAX_NOTICES = 50

/** `?before=<updated_at>.<id>` of the last notice on the previous page. */
export function parseCursor (raw: string | undefined): { at: number, id: number } | null {
  if (raw === undefined || raw === '') return null
  const m = /^(\d{1,12})\.(\d{1,12})$/.exec(raw)
  if (m === null) throw badRequest(notificationMessages.badCursor)
  return { at: Number(m[1]), id: Number(m[2]) }
}

export function notificationsService (deps: NotificationsDeps) {
  const { db } = deps
  const repo = notificationsRepository(db)

  async function wanted (trx: Knex.Transaction, input: NotifyInput): Promise<boolean> {
    if (input.actor !== null && input.actor.id === input.to) return false
    if (input.actor !== null && await deps.isBlocked(trx, input.to, input.actor.id)) return false
    const channel = (await repo.prefs(input.to, trx)).get(prefKeyOf(input.kind)) ?? 'site'
    return channel !== 'off'
  }

  /** One notice (or one more actor in its open group); false when the rules say nobody is told. */
  async function notify (trx: Knex.Transaction, input: NotifyInput, now: number): Promise<boolean> {
    if (!await wanted(trx, input)) return false
    const actorName = input.actor?.name ?? ''
    if (GROUPED.has(input.kind) && input.actor !== null) {
      const groupKey = `${input.kind}:${input.target.type}:${input.target.id}`
      const open = await repo.openGroup(trx, input.to, groupKey)
      if (open !== undefined) {
        // Someone already counted in this unread group changes nothing (a reaction taken back and given again).
        if (!await repo.addActor(trx, open.id, input.actor.id)) return false
        await repo.bumpGroup(trx, open.id, input.actor, now)
        return true
      }
      await repo.adjustUnread(trx, input.to, 1)
      const id = await repo.insert(trx, { userId: input.to, kind: input.kind, actorId: input.actor.id, actorName, targetType: input.target.type, targetId: input.target.id, title: input.title, url: input.url, groupKey, at: now })
      await repo.addActor(trx, id, input.actor.id)
      return true
    }
    // Counter first, row second: the UPDATE takes the member row's exclusive lock before the insert's
    // foreign-key check takes a shared one. The other order deadlocks on InnoDB when two events for one
    // member commit at once (both hold S, both want X), as comments found with articles.
    await repo.adjustUnread(trx, input.to, 1)
    await repo.insert(trx, { userId: input.to, kind: input.kind, actorId: input.actor?.id ?? null, actorName, targetType: input.target.type, targetId: input.target.id, title: input.title, url: input.url, groupKey: null, at: now })
    return true
  }

  /** Members named by their usernames (case and width folded as at login), for quotes and @mentions. */
  async function resolveNames (trx: Knex.Transaction | Knex, names: readonly string[]): Promise<Map<string, number>> {
    const keys = names.map((n) => normalizeUsername(n).toLowerCase())
    const rows = await repo.usersByNameKeys(trx, [...new Set(keys)])
    const byKey = new Map(rows.map((r) => [normalizeUsername(r.username).toLowerCase(), r.id]))
    return new Map(names.map((n, i) => [n, byKey.get(keys[i] ?? '') ?? 0]).filter(([, id]) => id !== 0) as Array<[string, number]>)
  }

  return {
    notify,

    /**
     * The notices of a new post or comment: its own recipients (quote, reply, comment on an article)
     * and its @mentions (at most MAX_MENTIONS names), each person told once. Returns who was told.
     */
    async contribution (trx: Knex.Transaction, c: ContributionNotices, now: number): Promise<number[]> {
      const told = new Set<number>([c.actor.id])
      const notified: number[] = []
      const base = { actor: c.actor, target: c.target, title: c.title, url: c.url }
      for (const r of c.recipients) {
        if (r.to === null || told.has(r.to)) continue
        // Told only if it was sent: a member who switched replies off still hears of an @mention in the same post.
        if (await notify(trx, { ...base, to: r.to, kind: r.kind }, now)) { told.add(r.to); notified.push(r.to) }
      }
      const names = mentionedNames(c.text)
      if (names.length > 0) {
        for (const id of (await resolveNames(trx, names)).values()) {
          if (told.has(id)) continue
          told.add(id)
          if (await notify(trx, { ...base, target: c.mentionTarget ?? c.target, to: id, kind: 'mention' }, now)) notified.push(id)
        }
      }
      return notified
    },

    /** The member with this name (NFKC, case-insensitive as at login), or null. */
    async memberIdByName (name: string): Promise<number | null> {
      return (await resolveNames(db, [name])).get(name) ?? null
    },

    /** The member a quote at the top of `text` names, if any (forum or comment quote format). */
    async quotedMember (trx: Knex.Transaction, text: string): Promise<number | null> {
      const name = quotedName(text)
      if (name === null) return null
      return (await resolveNames(trx, [name])).get(name) ?? null
    },

    /**
     * A page of the member's notices, newest first, and marks those shown read (their unread groups
     * close, the counter drops by as many) in one transaction. Grouped by target within the page.
     */
    async page (userId: number, before: { at: number, id: number } | null, now: number): Promise<{ groups: NotificationGroup[], next: string | null, unread: number }> {
      const rows = await repo.page(userId, before, PAGE_SIZE + 1)
      const shown = rows.slice(0, PAGE_SIZE)
      const last = shown[shown.length - 1]
      const next = rows.length > PAGE_SIZE && last !== undefined ? `${last.updated_at}.${last.id}` : null
      const unreadIds = shown.filter((r) => r.read_at === null).map((r) => r.id)
      const unread = await db.transaction(async (trx) => {
        const changed = await repo.markRead(trx, userId, unreadIds, now)
        await repo.adjustUnread(trx, userId, -changed)
        return await repo.unreadCount(userId, trx)
      })
      return { groups: groupByTarget(shown), next, unread }
    },

    /** Members who may be due a digest at `now`, after `afterUserId` in id order (the digest sender's keyset). */
    async digestCandidates (afterUserId: number, now: number, limit: number): Promise<number[]> {
      return await repo.digestCandidates(afterUserId, now - DIGEST_EVERY_SECONDS, limit)
    },

    /**
     * The member's digest, taken in the caller's transaction (which also queues the mail): their unread,
     * not yet mailed notices of the kinds they set to e-mail, grouped as on /notifications, marked mailed,
     * and their turn claimed for the hour. null when there is nothing to send or another process (or an
     * earlier pass) sent one within the hour. A rollback of `trx` gives everything back.
     */
    async takeDigest (trx: Knex.Transaction, userId: number, now: number): Promise<{ groups: NotificationGroup[], count: number, more: boolean } | null> {
      const prefs = await repo.prefs(userId, trx)
      const kinds = PREF_KINDS.filter((p) => prefs.get(p.key) === 'email').flatMap((p) => [...p.kinds])
      const rows = await repo.undigested(trx, userId, kinds, DIGEST_MAX_NOTICES + 1)
      if (rows.length === 0) return null
      if (!await repo.claimDigest(trx, userId, now - DIGEST_EVERY_SECONDS, now)) return null
      const shown = rows.slice(0, DIGEST_MAX_NOTICES)
      // Only those named: notices beyond the cap wait for the next hour's digest (and are on /notifications now).
      await repo.markEmailed(trx, userId, shown.map((r) => r.id), now)
      return { groups: groupByTarget(shown), count: shown.length, more: rows.length > DIGEST_MAX_NOTICES }
    },

    async markAllRead (userId: number, now: number): Promise<number> {
      return await db.transaction(async (trx) => {
        const changed = await repo.markAllRead(trx, userId, now)
        await repo.adjustUnread(trx, userId, -changed)
        return changed
      })
    },

    unreadCount: async (userId: number): Promise<number> => await repo.unreadCount(userId),

    async preferences (userId: number): Promise<Array<{ key: PrefKey, label: string, channel: Channel }>> {
      const prefs = await repo.prefs(userId)
      return PREF_KINDS.map((p) => {
        const c = prefs.get(p.key)
        return { key: p.key, label: p.label, channel: (CHANNELS as readonly string[]).includes(c ?? '') ? c as Channel : 'site' }
      })
    },

    /** Saves every kind's channel at once (the settings form sends all); a bad value stores nothing. */
    async setPreferences (userId: number, input: Record<string, unknown>): Promise<void> {
      const chosen = PREF_KINDS.map((p) => ({ key: p.key, channel: input[p.key] ?? 'site' }))
      if (chosen.some((c) => typeof c.channel !== 'string' || !(CHANNELS as readonly string[]).includes(c.channel))) throw badRequest(notificationMessages.badPref)
      await db.transaction(async (trx) => {
        for (const c of chosen) await repo.setPref(trx, userId, c.key, c.channel as string)
      })
    }
  }
}

export type NotificationsService = ReturnType<typeof notificationsService>
