import type { Knex } from 'knex'

/**
 * Comment queries, on the comments table only. Article lists page by (article_id, list_position); others use the (article_id, status, created_at),
 * (author_id, created_at) and (status, created_at) indexes. The articles' comment_count belongs to
 * the portal: the service moves it through `app.portal` in the same transaction as every change of status.
 */

export type CommentStatus = 'visible' | 'pending' | 'deleted'

export interface CommentRow {
  id: number
  article_id: number
  author_id: number | null
  author_name: string | null
  guest_name: string
  ip_hash: string
  ip: string | null
  status: CommentStatus
  body: string
  created_at: number
  edited_at: number | null
  edited_by: number | null
  editor_name: string | null
  /** The comment's place among its article's visible comments (1 = oldest); null unless visible. */
  list_position: number | null
}

export interface QueueRow extends CommentRow { article_title: string }

export interface AuthorCommentRow { id: number, article_id: number, article_title: string, body: string, created_at: number }
type AuthorCommentSource = Omit<AuthorCommentRow, 'article_title'>

/** Which comments a reader sees: visible ones, plus pending ones for moderators or for their own author. */
export interface CommentViewer { userId: number | null, moderator: boolean }

export interface NewComment {
  articleId: number
  authorId: number | null
  guestName: string
  ipHash: string
  ip: string | null
  status: CommentStatus
  body: string
  createdAt: number
  /** Its place in the article's list when it is visible (the service numbers it under the article's lock). */
  listPosition: number | null
}

function withNames (db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return db('comments as c')
    .leftJoin('users as u', 'u.id', 'c.author_id')
    .leftJoin('users as e', 'e.id', 'c.edited_by')
    .select('c.*', 'u.username as author_name', 'e.username as editor_name')
}

/**
 * A read of positions inside a writer's transaction, as committed now: on InnoDB a plain SELECT reads the
 * transaction's snapshot, taken at its first read (before the article's lock was granted), and would miss
 * a comment another writer committed meanwhile; a locking read sees it. SQLite's writers already run one
 * at a time (BEGIN IMMEDIATE).
 */
function latest<Q extends Knex.QueryBuilder> (q: Q, trx: Knex.Transaction | undefined): Q {
  if (trx !== undefined && trx.client.config.client === 'mysql2') void q.forUpdate()
  return q
}

export function commentsRepository (db: Knex) {
  return {
    async insert (c: NewComment, trx: Knex.Transaction): Promise<number> {
      const [id] = await trx('comments').insert({
        article_id: c.articleId,
        author_id: c.authorId,
        guest_name: c.guestName,
        ip_hash: c.ipHash,
        ip: c.ip,
        status: c.status,
        body: c.body,
        created_at: c.createdAt,
        list_position: c.listPosition
      })
      return Number(id)
    },

    async findById (id: number, trx?: Knex.Transaction): Promise<CommentRow | null> {
      const row = await withNames(trx ?? db).where('c.id', id).first() as CommentRow | undefined
      return row ?? null
    },

    /**
     * Visible comments with positions `from`..`to` (inclusive), newest first: a page of the list is a range
     * on the (article_id, list_position) index, however deep (no OFFSET over the rows before it).
     */
    async visibleByPosition (articleId: number, from: number, to: number): Promise<CommentRow[]> {
      if (to < from) return []
      return await withNames(db).where('c.article_id', articleId).whereBetween('c.list_position', [from, to])
        .orderBy('c.list_position', 'desc') as CommentRow[]
    },

    /**
     * The article's pending comments this viewer may see (moderators: all; a member: their own), newest
     * first, at most `limit`: a short range of the (article_id, status, created_at) index (pending ones are few).
     */
    async pendingSeenBy (articleId: number, viewer: CommentViewer, limit: number): Promise<CommentRow[]> {
      if (!viewer.moderator && viewer.userId === null) return []
      const q = withNames(db).where({ 'c.article_id': articleId, 'c.status': 'pending' })
      if (!viewer.moderator) void q.andWhere('c.author_id', viewer.userId)
      return await q.orderBy([{ column: 'c.created_at', order: 'desc' }, { column: 'c.id', order: 'desc' }]).limit(limit) as CommentRow[]
    },

    /** The highest position in the article's list (0 when none): one index lookup. Writers call it under the article's lock. */
    async lastPosition (articleId: number, trx?: Knex.Transaction): Promise<number> {
      // The last entry of the (article_id, list_position) index (nulls sort first, so last in descending
      // order): one entry read, and with a locking read one entry locked, where MAX() FOR UPDATE may lock the range.
      const row = await latest((trx ?? db)('comments').where('article_id', articleId).orderBy('list_position', 'desc').limit(1), trx)
        .first<{ list_position: number | string | null } | undefined>('list_position')
      return Number(row?.list_position ?? 0)
    },

    /** The position a comment of this age takes: that of the oldest visible comment newer than it, or null (it is the newest). */
    async positionAfter (articleId: number, createdAt: number, id: number, trx: Knex.Transaction): Promise<number | null> {
      const row = await latest(trx('comments').where({ article_id: articleId, status: 'visible' })
        .andWhere((w) => { void w.where('created_at', '>', createdAt).orWhere((e) => { void e.where('created_at', createdAt).andWhere('id', '>', id) }) })
        .orderBy([{ column: 'created_at', order: 'asc' }, { column: 'id', order: 'asc' }]), trx).first<{ list_position: number | null } | undefined>('list_position')
      return row?.list_position ?? null
    },

    /** The positions of these comments as stored now (read under their articles' locks). */
    async positionsOf (ids: readonly number[], trx: Knex.Transaction): Promise<Array<{ id: number, article_id: number, list_position: number | null }>> {
      if (ids.length === 0) return []
      return await latest(trx('comments').whereIn('id', ids), trx).select<Array<{ id: number, article_id: number, list_position: number | null }>>('id', 'article_id', 'list_position')
    },

    /** A comment's stored position, read inside the transaction that holds the article's lock. */
    async positionOf (id: number, trx: Knex.Transaction): Promise<number | null> {
      const row = await latest(trx('comments').where('id', id), trx).first<{ list_position: number | null } | undefined>('list_position')
      return row?.list_position ?? null
    },

    async setPosition (id: number, position: number | null, trx: Knex.Transaction): Promise<void> {
      await trx('comments').where('id', id).update({ list_position: position })
    },

    /** Moves the comments at `position` and after it one place up (a comment enters the list there). */
    async openPosition (articleId: number, position: number, trx: Knex.Transaction): Promise<void> {
      await trx('comments').where('article_id', articleId).andWhere('list_position', '>=', position).increment('list_position', 1)
    },

    /** Moves the comments after `position` one place down (the comment there left the list). */
    async closePosition (articleId: number, position: number, trx: Knex.Transaction): Promise<void> {
      await trx('comments').where('article_id', articleId).andWhere('list_position', '>', position).decrement('list_position', 1)
    },

    /**
     * The article's pending comments this viewer may see (moderators: all; a member: their own) and those
     * hidden from them (for the "awaiting review" hint). One short index range: pending comments are few.
     */
    async pendingCounts (articleId: number, viewer: CommentViewer): Promise<{ seen: number, hidden: number }> {
      const row = await db('comments').where({ article_id: articleId, status: 'pending' })
        .first<{ n: number | string | null, mine: number | string | null } | undefined>(
          db.raw('count(*) as n'),
          db.raw('coalesce(sum(case when author_id = ? then 1 else 0 end), 0) as mine', [viewer.userId ?? 0])
        )
      const all = Number(row?.n ?? 0)
      if (viewer.moderator) return { seen: all, hidden: 0 }
      const mine = viewer.userId === null ? 0 : Number(row?.mine ?? 0)
      return { seen: mine, hidden: all - mine }
    },

    /**
     * Moves a comment from one status to another only if it still has `from`: of two moderators
     * acting at once, one changes it and the other is told nothing changed (returns false).
     */
    async changeStatus (id: number, from: CommentStatus, to: CommentStatus, trx: Knex.Transaction): Promise<boolean> {
      // Leaving the visible list also leaves its numbering (the caller closes the gap under the article's lock).
      const fields = to === 'visible' ? { status: to } : { status: to, list_position: null }
      return (await trx('comments').where({ id, status: from }).update(fields)) === 1
    },

    async updateBody (id: number, fields: { body: string, status: CommentStatus, editedAt: number, editedBy: number }, trx: Knex.Transaction): Promise<void> {
      await trx('comments').where('id', id).update({ body: fields.body, status: fields.status, edited_at: fields.editedAt, edited_by: fields.editedBy })
    },

    /** Pending comments, newest first (the service adds each one's article title from the portal). */
    async pendingQueue (offset: number, limit: number): Promise<CommentRow[]> {
      return await withNames(db).where('c.status', 'pending')
        .orderBy([{ column: 'c.created_at', order: 'desc' }, { column: 'c.id', order: 'desc' }]).offset(offset).limit(limit) as CommentRow[]
    },

    async countPending (): Promise<number> {
      const row = await db('comments').where('status', 'pending').count<Array<{ n: number | string }>>('* as n').first()
      return Number(row?.n ?? 0)
    },

    /** Several comments by id (status changes are made safe by changeStatus's condition, not by locks). */
    async findMany (ids: readonly number[], trx: Knex.Transaction): Promise<CommentRow[]> {
      if (ids.length === 0) return []
      return await withNames(trx).whereIn('c.id', ids).orderBy('c.id') as CommentRow[]
    },

    /** Visible comments per article, for the given articles (comments:reconcile compares them with the counters). */
    async visibleCountsFor (articleIds: readonly number[]): Promise<Map<number, number>> {
      if (articleIds.length === 0) return new Map()
      const counts = await db('comments').whereIn('article_id', articleIds).andWhere('status', 'visible').groupBy('article_id')
        .select<Array<{ article_id: number, n: number | string }>>('article_id', db.raw('count(*) as n'))
      return new Map(counts.map((c) => [Number(c.article_id), Number(c.n)]))
    },

    /** A member's visible comments, newest first from `offset` (the profile keeps those on published articles). */
    async byAuthor (authorId: number, offset: number, limit: number): Promise<AuthorCommentSource[]> {
      return await db('comments').where({ author_id: authorId, status: 'visible' })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).offset(offset).limit(limit)
        .select<AuthorCommentSource[]>('id', 'article_id', 'body', 'created_at')
    },

    /** How many visible comments a member has written. */
    /** Members who wrote comments from this IP hash (用户管理's search), by the (ip_hash, author_id) index. */
    async authorsByIpHash (ipHash: string, limit: number): Promise<number[]> {
      const rows = await db('comments').where({ ip_hash: ipHash }).whereNotNull('author_id').distinct('author_id').orderBy('author_id', 'desc').limit(limit)
      return rows.map((r: { author_id: number }) => Number(r.author_id))
    },

    async countByAuthor (authorId: number): Promise<number> {
      const row = await db('comments').where({ author_id: authorId, status: 'visible' }).count<Array<{ n: number | string }>>('* as n').first()
      return Number(row?.n ?? 0)
    },

    /** A member's visible comments since `since`, inside a ban's transaction (hide recent content). */
    async visibleByAuthorSince (authorId: number, since: number, trx: Knex.Transaction): Promise<Array<{ id: number, article_id: number }>> {
      return await trx('comments').where({ author_id: authorId, status: 'visible' }).andWhere('created_at', '>=', since)
        .select<Array<{ id: number, article_id: number }>>('id', 'article_id')
    },

    async markDeleted (ids: readonly number[], at: number, by: number, trx: Knex.Transaction): Promise<void> {
      await trx('comments').whereIn('id', ids).update({ status: 'deleted', edited_at: at, edited_by: by, list_position: null })
    },

    /**
     * Numbers every visible comment of every article afresh (seed:bulk after its multi-row inserts; the
     * migration that added the column does the same). One statement per dialect with a window function.
     */
    async renumberAll (articleIds?: readonly number[], trx?: Knex.Transaction): Promise<void> {
      const q = trx ?? db
      const only = articleIds === undefined ? '' : ` AND article_id IN (${articleIds.map(() => '?').join(', ')})`
      if (articleIds !== undefined && articleIds.length === 0) return
      const numbered = `SELECT id, ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY created_at, id) AS n FROM comments WHERE status = 'visible'${only}`
      const bindings = [...(articleIds ?? [])]
      if (db.client.config.client === 'mysql2') {
        await q.raw(`UPDATE comments c JOIN (${numbered}) r ON r.id = c.id SET c.list_position = r.n`, bindings)
      } else {
        await q.raw(`UPDATE comments SET list_position = r.n FROM (${numbered}) AS r WHERE r.id = comments.id`, bindings)
      }
    }
  }
}

export type CommentsRepository = ReturnType<typeof commentsRepository>
