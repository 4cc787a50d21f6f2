import type { Knex } from 'knex'
import { transactionWithRetry } from '../../db/knex'
import { badRequest, forbidden, HttpError, notFound } from '../../lib/http-errors'
import { can, postingBan, type ActiveBan, type AuthUser } from '../../lib/permissions'
import { paginate, type Page } from '../../lib/pagination'
import { quoteOf, renderCommentText } from '../../lib/comment-text'
import { discuzLength } from '../../lib/discuz-length'
import { newMemberWait, type AntiAbuse } from '../antiabuse'
import type { AuditLog } from '../moderation'
import { readerFor, type PortalService } from '../portal'
import type { NotificationsService } from '../notifications'
import { commentsRepository, type AuthorCommentRow, type CommentRow, type CommentStatus, type CommentViewer, type CommentsRepository, type QueueRow } from './repository'

/**
 * The rules of 快速评论: who may comment where, length, review, edit and delete rights, and the
 * article's comment_count. Every change of a comment's status and the count move together in one
 * transaction (the count through the portal: `portal.adjustCommentCount(trx, …)`). No Fastify types:
 * routes turn HTTP into these arguments.
 */

export const SECTION_SIZE = 20
export const PAGE_SIZE = 25
export const QUEUE_PAGE_SIZE = 30
/** In Discuz bytes (src/lib/discuz-length.ts): one CJK character (`顶`, the commonest reply) or two ASCII ones. */
export const MIN_BYTES = 2
export const GUEST_NAME_MAX = 16

export const messages = {
  notAllowed: '该文章不允许评论',
  loginRequired: '您需要先登录才能继续本操作',
  tooShort: `评论内容至少 ${MIN_BYTES} 个字节（一个汉字算 2 个）`,
  tooLong: (max: number, actual: number) => `评论内容不能超过 ${max} 个字符（当前 ${actual} 个字符）`,
  guestNameTooLong: `游客名称不能超过 ${GUEST_NAME_MAX} 个字符`,
  notFound: '抱歉，该评论不存在或已被删除',
  noneSelected: '请选择要操作的评论',
  pending: '您的评论已提交，需要审核后才能显示'
} as const

export interface CommentSettings {
  getNumber: (key: 'comment_max_length') => Promise<number>
  getBoolean: (key: 'guest_comments' | 'comment_store_raw_ip') => Promise<boolean>
}

export interface CommentableArticle { id: number, commentsAllowed: boolean }

/** A comment as templates show it: the text already rendered (escaped) by renderCommentText. */
export interface CommentView {
  id: number
  articleId: number
  authorId: number | null
  authorName: string | null
  guestName: string
  status: CommentStatus
  html: string
  createdAt: number
  editedAt: number | null
  editorName: string | null
  canEdit: boolean
  /** What 引用 puts in the form. */
  quote: string
}

export interface CreateInput {
  article: CommentableArticle
  user: AuthUser | null
  guestName?: string
  text: string
  ipHash: string
  ip: string
  now: number
}

export interface CommentForm {
  allowed: boolean
  guest: boolean
  canPost: boolean
  maxLength: number
  ban: ActiveBan | null
  wait: { seconds: number, message: string } | null
}

export interface ActorInput { commentId: number, user: AuthUser, now: number, requestId?: string }

/** What the Archiver shows of an article's visible comments: text rows, newest first, a page at a time. */
export interface ArchiverComment { id: number, author_name: string | null, created_at: number, body: string }
export interface ArchiverCommentPage { rows: ArchiverComment[], page: Page, lastChangedAt: number }

/** A ban with "also hide this member's recent comments" (the moderation feature's ban hook). */
export interface HideRecentInput { userId: number, since: number, at: number, moderatorId: number }

export interface CommentsDeps {
  antiAbuse: AntiAbuse
  audit: AuditLog
  settings: CommentSettings
  /** The articles' comment counters and which articles exist (the portal owns the articles table). */
  portal: PortalService
  /** Guests' lists come from here (DATABASE_READ_URL) when given; members read the primary. */
  dbRead?: Knex
  /** 提醒 (app.notifications), told inside each comment's transaction; none in builds without the app. */
  notifications?: Pick<NotificationsService, 'contribution' | 'quotedMember' | 'notify'>
}

// Pending comments a reader may see on one article (their own, or a moderator's all): they join page 1.
const PENDING_SHOWN_MAX = 50

// How many of a member's comments the profile reads at a time while skipping those on unpublished articles.
const AUTHOR_BATCH = 50

export function viewerOf (user: AuthUser | null, now: number): CommentViewer {
  return { userId: user?.id ?? null, moderator: can(user, { action: 'moderate' }, now) }
}

/**
 * Trims, unifies line breaks, and checks the length: the minimum in Discuz bytes (a CJK character
 * counts 2, so `顶` passes and `a` does not), the maximum (`comment_max_length`) in characters (an
 * emoji is one), so a Chinese writer gets the whole limit the setting names.
 */
export function cleanText (raw: unknown, maxLength: number): string {
  const text = (typeof raw === 'string' ? raw : '').replace(/\r\n?/g, '\n').replace(/^\s*\n|\s+$/g, '')
  const length = [...text].length
  if (discuzLength(text.trim()) < MIN_BYTES) throw badRequest(messages.tooShort)
  if (length > maxLength) throw badRequest(messages.tooLong(maxLength, length))
  return text
}

export function commentsService (db: Knex, deps: CommentsDeps) {
  const repo = commentsRepository(db)
  // Guests' lists may come from a replica (DATABASE_READ_URL); members read the primary and see their own latest comment.
  const guestRepo = deps.dbRead === undefined ? repo : commentsRepository(deps.dbRead)
  const { antiAbuse, audit, settings, portal, notifications } = deps

  /**
   * 提醒 of a member's comment that became visible (posted visible, or approved): the author it quotes,
   * the article's author, its @mentions; each once. A guest's comment tells nobody: a guest cannot be
   * blocked, so guest notices would be a channel for abuse that no member could close.
   */
  async function noticeOfVisibleComment (trx: Knex.Transaction, c: { id: number, articleId: number, authorId: number | null, authorName: string | null, body: string }, now: number): Promise<void> {
    if (notifications === undefined || c.authorId === null) return
    const article = await portal.authorAndTitle(trx, c.articleId)
    if (article === null) return
    const quoted = await notifications.quotedMember(trx, c.body)
    await notifications.contribution(trx, {
      actor: { id: c.authorId, name: c.authorName ?? '' },
      text: c.body,
      target: { type: 'article', id: c.articleId },
      mentionTarget: { type: 'comment', id: c.id },
      title: article.title,
      url: `/article/${c.articleId}#comment-${c.id}`,
      recipients: [{ to: quoted, kind: 'comment_quote' }, { to: article.authorId, kind: 'article_comment' }]
    }, now)
  }

  /** A moderator approved or removed someone's comment: its author is told. */
  async function noticeOfModeration (trx: Knex.Transaction, row: CommentRow, kind: 'approved' | 'removed', now: number): Promise<void> {
    if (notifications === undefined || row.author_id === null) return
    // Read in `trx`: on SQLite the pool has one connection, held by this transaction.
    const article = await portal.authorAndTitle(trx, row.article_id)
    await notifications.notify(trx, {
      to: row.author_id, kind, actor: null, target: { type: 'comment', id: row.id }, title: article?.title ?? '',
      url: kind === 'approved' ? `/article/${row.article_id}#comment-${row.id}` : `/article/${row.article_id}#comments`
    }, now)
  }

  function toView (row: CommentRow, user: AuthUser | null, now: number): CommentView {
    const displayName = row.author_name ?? (row.guest_name === '' ? '游客' : `游客 ${row.guest_name}`)
    return {
      id: row.id,
      articleId: row.article_id,
      authorId: row.author_id,
      authorName: row.author_name,
      guestName: row.guest_name,
      status: row.status,
      html: renderCommentText(row.body),
      createdAt: row.created_at,
      editedAt: row.edited_at,
      editorName: row.editor_name,
      canEdit: can(user, { action: 'edit-own', resource: { authorId: row.author_id } }, now),
      quote: quoteOf(displayName, row.body)
    }
  }

  async function loadForChange (id: number, trx: Knex.Transaction): Promise<CommentRow> {
    const [row] = await repo.findMany([id], trx)
    if (row === undefined || row.status === 'deleted') throw notFound(messages.notFound)
    return row
  }

  /**
   * Moves a comment between statuses and keeps the article's count of visible comments and the list's
   * positions. The article's row lock comes first: position changes of one article run one at a time,
   * and every writer takes the article before any comment row (one lock order, no deadlock between a
   * moderator's approval and a member's post). Positions are read after the lock, never from `row`.
   */
  async function moveStatus (row: CommentRow, to: CommentStatus, trx: Knex.Transaction): Promise<boolean> {
    if (row.status === to) return false
    const listChanges = row.status === 'visible' || to === 'visible'
    if (listChanges) await portal.lockArticle(trx, row.article_id)
    const leftAt = row.status === 'visible' ? await repo.positionOf(row.id, trx) : null
    if (!await repo.changeStatus(row.id, row.status, to, trx)) return false
    if (row.status === 'visible') {
      await portal.adjustCommentCount(trx, row.article_id, -1)
      if (leftAt !== null) await repo.closePosition(row.article_id, leftAt, trx)
    }
    if (to === 'visible') {
      await portal.adjustCommentCount(trx, row.article_id, 1)
      await enterList(row, trx)
    }
    return true
  }

  /** Gives a comment that became visible its place by age: usually the end; an older one approved late moves the newer ones up. */
  async function enterList (row: CommentRow, trx: Knex.Transaction): Promise<void> {
    const before = await repo.positionAfter(row.article_id, row.created_at, row.id, trx)
    if (before === null) {
      await repo.setPosition(row.id, await repo.lastPosition(row.article_id, trx) + 1, trx)
      return
    }
    await repo.openPosition(row.article_id, before, trx)
    await repo.setPosition(row.id, before, trx)
  }

  /**
   * The visible comments at positions `from`..`to` (newest first) plus, when `withPending`, the pending
   * ones this reader may see, in date order among them (an author sees their own waiting comment; a
   * moderator every one). Pending comments are few and have no position: they join the first page.
   */
  async function rowsFor (reader: CommentsRepository, articleId: number, viewer: CommentViewer, from: number, to: number, withPending: boolean): Promise<CommentRow[]> {
    const [visible, pending] = await Promise.all([
      reader.visibleByPosition(articleId, from, to),
      withPending ? reader.pendingSeenBy(articleId, viewer, PENDING_SHOWN_MAX) : Promise.resolve([])
    ])
    if (pending.length === 0) return visible
    return [...visible, ...pending].sort((a, b) => b.created_at - a.created_at || b.id - a.id)
  }

  /**
   * Who the list is for and its counts. `total` is the article's counter (what the page shows);
   * `positions` is the last position of its list (an index lookup), which the pages are cut from, so a
   * counter that drifted (comments:reconcile repairs it) cannot shift a page's rows.
   */
  async function listingFor (articleId: number, user: AuthUser | null, now: number): Promise<{ reader: CommentsRepository, viewer: CommentViewer, positions: number, total: number, pendingSeen: number, hiddenCount: number }> {
    const viewer = viewerOf(user, now)
    const reader = user === null ? guestRepo : repo
    const articles = portal.forReader(readerFor(user))
    const [total, positions, pending] = await Promise.all([articles.commentCount(articleId), reader.lastPosition(articleId), reader.pendingCounts(articleId, viewer)])
    return { reader, viewer, positions, total, pendingSeen: pending.seen, hiddenCount: pending.hidden }
  }

  return {
    /** The block under an article: the newest comments this reader may see and the hidden-pending hint. */
    async section (articleId: number, user: AuthUser | null, now: number): Promise<{ items: CommentView[], total: number, hiddenCount: number }> {
      const { reader, viewer, positions, total, pendingSeen, hiddenCount } = await listingFor(articleId, user, now)
      const rows = await rowsFor(reader, articleId, viewer, positions - SECTION_SIZE + 1, positions, pendingSeen > 0)
      return { items: rows.map((r) => toView(r, user, now)), total, hiddenCount }
    },

    /** Whether a comment of this member waits for review on the article (they see it there; others do not). */
    async hasPendingOf (articleId: number, user: AuthUser | null, now: number): Promise<boolean> {
      if (user === null) return false
      return (await repo.pendingCounts(articleId, { ...viewerOf(user, now), moderator: false })).seen > 0
    },

    /** The article's visible comment count as it is now (the primary's counter): what an in-place post redraws. */
    visibleCount: async (articleId: number): Promise<number> => await portal.forReader('primary').commentCount(articleId),

    /** The Archiver's text list: visible comments only, newest first like the full list (the count is the article's counter). */
    async archiverPage (article: { id: number, comment_count: number }, requestedPage: number, perPage: number): Promise<ArchiverCommentPage> {
      // The counter stands for the last position here: the Archiver's page is one query (a drifted
      // counter, which comments:reconcile repairs, shifts its text pages by the drift until then).
      const positions = article.comment_count
      const page = paginate(requestedPage, perPage, positions)
      const rows = positions === 0 ? [] : await guestRepo.visibleByPosition(article.id, positions - page.offset - page.perPage + 1, positions - page.offset)
      return {
        rows: rows.map((c) => ({ id: c.id, author_name: c.author_name ?? (c.guest_name === '' ? null : c.guest_name), created_at: c.created_at, body: c.body })),
        page,
        lastChangedAt: rows.reduce((m, c) => Math.max(m, c.created_at, c.edited_at ?? 0), 0)
      }
    },

    /** A member's latest visible comments on published articles, with the article titles (the profile page). */
    async latestByAuthor (authorId: number, limit: number): Promise<AuthorCommentRow[]> {
      const out: AuthorCommentRow[] = []
      // Comments on articles taken down since are skipped: read in batches until `limit` are found or none are left.
      for (let offset = 0; out.length < limit; offset += AUTHOR_BATCH) {
        const batch = await repo.byAuthor(authorId, offset, AUTHOR_BATCH)
        const titles = await portal.publishedTitles(batch.map((c) => c.article_id))
        for (const c of batch) {
          const title = titles.get(c.article_id)
          if (title !== undefined && out.length < limit) out.push({ ...c, article_title: title })
        }
        if (batch.length < AUTHOR_BATCH) break
      }
      return out
    },

    /** Members (ids, newest first) who commented from this keyed IP hash: 用户管理 searches by it. */
    authorsByIpHash: async (ipHash: string, limit: number): Promise<number[]> => await repo.authorsByIpHash(ipHash, limit),

    /** How many visible comments a member has written. */
    countByAuthor: async (authorId: number): Promise<number> => await repo.countByAuthor(authorId),

    /**
     * 禁止发言/禁止访问 with "also hide this member's recent comments": their visible comments since
     * `since` become deleted (soft, rows kept) inside the ban's transaction, each article's count moved
     * with them (clamped at 0 like every decrement). Returns how many were hidden.
     */
    async hideRecent (input: HideRecentInput, trx: Knex.Transaction): Promise<number> {
      const rows = await repo.visibleByAuthorSince(input.userId, input.since, trx)
      const perArticle = new Map<number, number>()
      for (const r of rows) perArticle.set(r.article_id, (perArticle.get(r.article_id) ?? 0) + 1)
      // Articles in id order: two bans running at once lock them in the same order.
      for (const [articleId, n] of [...perArticle].sort((a, b) => a[0] - b[0])) {
        await portal.adjustCommentCount(trx, articleId, -n)
      }
      if (rows.length === 0) return 0
      // Positions as they are under the articles' locks (taken just above), before the rows leave the list.
      const placed = await repo.positionsOf(rows.map((r) => r.id), trx)
      await repo.markDeleted(rows.map((r) => r.id), input.at, input.moderatorId, trx)
      // Close the gaps from the highest position down: closing one never moves a lower one.
      for (const r of placed.sort((a, b) => a.article_id - b.article_id || (b.list_position ?? 0) - (a.list_position ?? 0))) {
        if (r.list_position !== null) await repo.closePosition(r.article_id, r.list_position, trx)
      }
      return rows.length
    },

    /**
     * All comments of an article, PAGE_SIZE a page, newest first. Page N is positions
     * last − N·PAGE_SIZE + 1 … last − (N − 1)·PAGE_SIZE: a range on the index, as cheap on page 800 as on
     * page 1. The pending comments this reader may see join page 1.
     */
    async page (articleId: number, requested: number, user: AuthUser | null, now: number): Promise<{ items: CommentView[], page: Page, total: number, hiddenCount: number }> {
      const { reader, viewer, positions, total, pendingSeen, hiddenCount } = await listingFor(articleId, user, now)
      const page = paginate(requested, PAGE_SIZE, positions)
      const newest = positions - page.offset
      const rows = await rowsFor(reader, articleId, viewer, newest - page.perPage + 1, newest, pendingSeen > 0 && page.page === 1)
      return { items: rows.map((r) => toView(r, user, now)), page, total, hiddenCount }
    },

    /**
     * The form's settings for this reader: may they post, as a guest, and how long; a member under
     * 禁止发言 gets the ban (shown in place of the form) and a new member the wait (shown above it),
     * so neither learns it only after typing.
     */
    async formFor (article: CommentableArticle, user: AuthUser | null, now: number): Promise<CommentForm> {
      const guestComments = await settings.getBoolean('guest_comments')
      const maxLength = await settings.getNumber('comment_max_length')
      return {
        allowed: article.commentsAllowed,
        guest: user === null,
        canPost: article.commentsAllowed && (user !== null || guestComments),
        maxLength,
        ban: postingBan(user, now),
        wait: newMemberWait(user, now, (await antiAbuse.limits()).newMemberSilence)
      }
    },

    /** The 引用 text for a comment the reader can see on this article ('' when there is none). */
    async quoteFor (commentId: number, articleId: number, user: AuthUser | null, now: number): Promise<string> {
      const row = await repo.findById(commentId)
      if (row === null || row.article_id !== articleId) return ''
      const viewer = viewerOf(user, now)
      const seen = row.status === 'visible' || (row.status === 'pending' && (viewer.moderator || (row.author_id !== null && row.author_id === viewer.userId)))
      return seen ? toView(row, user, now).quote : ''
    },

    async create (input: CreateInput): Promise<CommentView> {
      const { article, user, now } = input
      if (!article.commentsAllowed) throw forbidden(messages.notAllowed)
      if (user === null && !await settings.getBoolean('guest_comments')) {
        throw new HttpError(401, messages.loginRequired, { loginUrl: `/login?return=${encodeURIComponent(`/article/${article.id}#comments`)}` })
      }
      const text = cleanText(input.text, await settings.getNumber('comment_max_length'))
      const guestName = user === null ? (input.guestName ?? '').trim() : ''
      if ([...guestName].length > GUEST_NAME_MAX) throw badRequest(messages.guestNameTooLong)
      const storeIp = await settings.getBoolean('comment_store_raw_ip')
      const shownGuestName = guestName === '' ? '' : (await antiAbuse.scanWords(guestName)).text
      // Retried on a deadlock: with the list positions read under the article's lock, two comments arriving
      // together on MariaDB can deadlock; InnoDB rolls one back whole, so running it again is safe.
      const id = await transactionWithRetry(db, async (trx) => {
        const verdict = await antiAbuse.checkContribution({ user, text, now, trx })
        // Count first, insert second: the UPDATE takes the article row's exclusive lock before the
        // insert's foreign-key check takes a shared one. The other order deadlocks on InnoDB when
        // two members comment on the same article at once (both hold S, both want X).
        // The article's lock also orders the positions: the newest visible comment takes the next one.
        if (verdict.status === 'visible') await portal.adjustCommentCount(trx, article.id, 1)
        const listPosition = verdict.status === 'visible' ? await repo.lastPosition(article.id, trx) + 1 : null
        const commentId = await repo.insert({
          articleId: article.id,
          authorId: user?.id ?? null,
          guestName: shownGuestName,
          ipHash: input.ipHash,
          ip: storeIp ? input.ip : null,
          status: verdict.status,
          body: verdict.text,
          createdAt: now,
          listPosition
        }, trx)
        if (verdict.status === 'visible') {
          await noticeOfVisibleComment(trx, { id: commentId, articleId: article.id, authorId: user?.id ?? null, authorName: user?.username ?? null, body: verdict.text }, now)
        }
        return commentId
      })
      const row = await repo.findById(id)
      if (row === null) throw notFound(messages.notFound)
      return toView(row, user, now)
    },

    /** The comment to edit, if this member may edit it. */
    async forEdit (commentId: number, user: AuthUser | null, now: number): Promise<CommentRow> {
      const row = await repo.findById(commentId)
      if (row === null || row.status === 'deleted') throw notFound(messages.notFound)
      if (!can(user, { action: 'edit-own', resource: { authorId: row.author_id } }, now)) throw forbidden()
      return row
    },

    async edit (input: ActorInput & { text: unknown }): Promise<CommentRow> {
      const { user, now } = input
      const text = cleanText(input.text, await settings.getNumber('comment_max_length'))
      return await db.transaction(async (trx) => {
        const row = await loadForChange(input.commentId, trx)
        if (!can(user, { action: 'edit-own', resource: { authorId: row.author_id } }, now)) throw forbidden()
        const verdict = await antiAbuse.checkEdit({ user, text, now, trx })
        // An edit never approves: a pending comment stays pending; a visible one may go back to review.
        const status: CommentStatus = row.status === 'pending' ? 'pending' : verdict.status
        if (status !== row.status) await moveStatus(row, status, trx)
        await repo.updateBody(row.id, { body: verdict.text, status, editedAt: now, editedBy: user.id }, trx)
        if (row.author_id !== user.id) {
          await audit.record({
            actorId: user.id, action: 'comment_edit', targetType: 'comment', targetId: row.id, targetUserId: row.author_id,
            before: { body: row.body, status: row.status }, after: { body: verdict.text, status }, requestId: input.requestId, at: now
          }, trx)
        }
        return { ...row, body: verdict.text, status, edited_at: now, edited_by: user.id }
      })
    },

    /** Soft delete (the row stays, status 'deleted'). A moderator deleting someone else's comment is audited. */
    async remove (input: ActorInput & { reason?: string }): Promise<CommentRow> {
      const { user, now } = input
      return await db.transaction(async (trx) => {
        const row = await loadForChange(input.commentId, trx)
        if (!can(user, { action: 'edit-own', resource: { authorId: row.author_id } }, now)) throw forbidden()
        await moveStatus(row, 'deleted', trx)
        if (row.author_id !== user.id) {
          await noticeOfModeration(trx, row, 'removed', now)
          await audit.record({
            actorId: user.id, action: 'comment_delete', targetType: 'comment', targetId: row.id, targetUserId: row.author_id,
            reason: input.reason, before: { status: row.status }, after: { status: 'deleted' }, requestId: input.requestId, at: now
          }, trx)
        }
        return row
      })
    },

    /** The review queue: pending comments, newest first. */
    async queue (requested: number): Promise<{ items: QueueRow[], views: Map<number, string>, page: Page }> {
      const page = paginate(requested, QUEUE_PAGE_SIZE, await repo.countPending())
      const rows = await repo.pendingQueue(page.offset, page.perPage)
      const titles = await portal.titles(rows.map((r) => r.article_id))
      const items: QueueRow[] = rows.map((r) => ({ ...r, article_title: titles.get(r.article_id) ?? '' }))
      return { items, views: new Map(items.map((r) => [r.id, renderCommentText(r.body)])), page }
    },

    /** Approves or deletes pending comments (one or many); returns how many changed. Each change is audited. */
    async moderate (input: { ids: readonly number[], action: 'approve' | 'delete', moderator: AuthUser, now: number, requestId?: string }): Promise<number> {
      const { moderator, now } = input
      if (!can(moderator, { action: 'moderate' }, now)) throw forbidden()
      const ids = [...new Set(input.ids)].slice(0, 200)
      if (ids.length === 0) throw badRequest(messages.noneSelected)
      return await db.transaction(async (trx) => {
        let changed = 0
        // Articles in id order (each status change locks its article first): two moderators never wait on each other in a circle.
        for (const row of (await repo.findMany(ids, trx)).sort((a, b) => a.article_id - b.article_id || a.id - b.id)) {
          if (row.status !== 'pending') continue // already handled by someone else
          const to: CommentStatus = input.action === 'approve' ? 'visible' : 'deleted'
          if (!await moveStatus(row, to, trx)) continue
          changed++
          await noticeOfModeration(trx, row, input.action === 'approve' ? 'approved' : 'removed', now)
          if (to === 'visible') await noticeOfVisibleComment(trx, { id: row.id, articleId: row.article_id, authorId: row.author_id, authorName: row.author_name, body: row.body }, now)
          await audit.record({
            actorId: moderator.id, action: input.action === 'approve' ? 'comment_approve' : 'comment_delete', targetType: 'comment',
            targetId: row.id, targetUserId: row.author_id, before: { status: 'pending' }, after: { status: to }, requestId: input.requestId, at: now
          }, trx)
        }
        return changed
      })
    }
  }
}

export type CommentsService = ReturnType<typeof commentsService>
