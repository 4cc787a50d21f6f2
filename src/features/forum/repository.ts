import type { Knex } from 'knex'
import type { RenderedBody } from '../../lib/markdown'

/**
 * Forum queries. Lists are served by the indexes of 20261126050000_create_forum_tables:
 * a board's threads by (board_id, status, pinned, last_post_at), a thread's page by the unique
 * (thread_id, position), the newest threads by (status, created_at).
 */

export type ContentStatus = 'visible' | 'pending' | 'deleted'

export interface BoardRow {
  id: number
  parent_id: number | null
  is_group: number | boolean
  name: string
  description: string
  display_order: number
  guest_visible: number | boolean
  /** 主题分类 labels as a JSON array (src/lib/structure-form.ts storedThreadTypes); null: none. */
  thread_types: string | null
  thread_count: number
  post_count: number
  today_posts: number
  today_date: number
  last_post_id: number | null
  last_thread_id: number | null
  last_post_at: number | null
  last_poster_name: string | null
  /** Joined from the last thread. */
  last_thread_title: string | null
}

export interface ThreadRow {
  id: number
  board_id: number
  author_id: number
  author_name: string
  title: string
  /** 主题分类 chosen when the thread was opened ('' for none); shown as [label] before the title. */
  type_label: string
  pinned: number | boolean
  closed: number | boolean
  status: ContentStatus
  reply_count: number
  last_position: number
  views: number
  created_at: number
  last_post_at: number
  last_poster_id: number | null
  last_poster_name: string
}

/** The author columns a floor shows besides name, role and counts: 签名 and whether it is hidden by a ban. */
const AUTHOR_CARD = ['u.signature as author_signature', 'u.ban_type as author_ban_type', 'u.ban_until as author_ban_until'] as const

export interface PostRow {
  id: number
  thread_id: number
  author_id: number
  position: number
  body: string
  status: ContentStatus
  created_at: number
  edited_at: number | null
  /** The body rendered when written (sanitized); null, or an older render_version, until rendered again. */
  body_html: string | null
  body_text_html: string | null
  render_version: number | null
  author_name: string
  author_role: string
  author_created_at: number
  author_post_count: number
  /** 签名 and the author's ban (a banned member's signature is not shown). */
  author_signature: string
  author_ban_type: string | null
  author_ban_until: number | null
}

export interface LatestThreadRow {
  id: number
  board_id: number
  board_name: string
  title: string
  author_id: number
  author_name: string
  created_at: number
  reply_count: number
  views: number
}

const THREAD_COLUMNS = ['t.id', 't.board_id', 't.author_id', 'u.username as author_name', 't.title', 't.type_label', 't.pinned', 't.closed', 't.status',
  't.reply_count', 't.last_position', 't.views', 't.created_at', 't.last_post_at', 't.last_poster_id', 't.last_poster_name'] as const

/** `column - n`, never below zero (MySQL refuses a negative result in an UNSIGNED column). */
function minus (db: Knex, column: string, n: number): Knex.Raw {
  return db.raw('CASE WHEN ?? >= ? THEN ?? - ? ELSE 0 END', [column, n, column, n])
}

/**
 * Writers lock the one row they change (MySQL; SQLite serialises writers anyway). A separate
 * statement, not FOR UPDATE on the join that reads it: that would also lock the author's users row,
 * and two members replying to each other's threads could then deadlock with the flood UPDATE.
 */
async function lockRow (trx: Knex.Transaction, table: 'threads' | 'posts', id: number): Promise<void> {
  if (trx.client.config.client !== 'mysql2') return
  await trx(table).where({ id }).forUpdate().first('id')
}

/** The numbers a visible post adds to its thread, board and author. */
export interface VisiblePostEffect {
  boardId: number
  threadId: number
  postId: number
  authorId: number
  authorName: string
  at: number
  /** Start of the site day of `at`, for the board's 今日 counter. */
  today: number
  /** The post opens a thread (the thread counts once on its board). */
  opensThread: boolean
}

/** A body's two rendered forms and the renderer version that made them. */
export interface StoredRender extends RenderedBody { version: number }

function renderColumns (r: StoredRender): { body_html: string, body_text_html: string, render_version: number } {
  return { body_html: r.html, body_text_html: r.textHtml, render_version: r.version }
}

export function forumRepository (db: Knex) {
  return {
    async allBoards (trx?: Knex.Transaction): Promise<BoardRow[]> {
      return await (trx ?? db)('boards as b')
        .leftJoin('threads as lt', 'lt.id', 'b.last_thread_id')
        .select<BoardRow[]>('b.*', 'lt.title as last_thread_title')
        .orderBy([{ column: 'b.display_order' }, { column: 'b.id' }])
    },

    /** Locks board rows (MySQL) in id order, before a write that references them and then updates their counters. */
    async lockBoards (trx: Knex.Transaction, ids: readonly number[]): Promise<void> {
      if (trx.client.config.client !== 'mysql2') return
      await trx('boards').whereIn('id', [...ids].sort((a, b) => a - b)).orderBy('id').forUpdate().select('id')
    },

    async findThread (id: number, trx?: Knex.Transaction): Promise<ThreadRow | null> {
      if (trx !== undefined) await lockRow(trx, 'threads', id)
      const row = await (trx ?? db)('threads as t').join('users as u', 'u.id', 't.author_id').where('t.id', id).first<ThreadRow | undefined>(...THREAD_COLUMNS)
      return row ?? null
    },

    /**
     * One page of a board's visible threads, pinned first then by last reply. A deferred join: the
     * inner query reads ids from the (board_id, status, pinned, last_post_at[, id]) index alone, so a
     * deep OFFSET walks index entries, never table rows; the outer query fetches just the page's rows.
     */
    async boardThreads (boardId: number, offset: number, limit: number): Promise<ThreadRow[]> {
      const ids = await db('threads').where({ board_id: boardId, status: 'visible' })
        .orderBy([{ column: 'pinned', order: 'desc' }, { column: 'last_post_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .offset(offset).limit(limit).pluck<number[]>('id')
      if (ids.length === 0) return []
      const rows = await db('threads as t').join('users as u', 'u.id', 't.author_id').whereIn('t.id', ids).select<ThreadRow[]>(...THREAD_COLUMNS)
      const byId = new Map(rows.map((r) => [r.id, r]))
      return ids.map((id) => byId.get(id)).filter((r): r is ThreadRow => r !== undefined)
    },

    /** Posts with floors from..to of a thread: a range of the unique (thread_id, position) key. */
    async postsInRange (threadId: number, from: number, to: number): Promise<PostRow[]> {
      return await db('posts as p').join('users as u', 'u.id', 'p.author_id')
        .where('p.thread_id', threadId).andWhere('p.position', '>=', from).andWhere('p.position', '<=', to)
        .orderBy('p.position')
        .select<PostRow[]>('p.*', 'u.username as author_name', 'u.role as author_role', 'u.created_at as author_created_at', 'u.post_count as author_post_count', ...AUTHOR_CARD)
    },

    async findPost (id: number, trx?: Knex.Transaction): Promise<PostRow | null> {
      if (trx !== undefined) await lockRow(trx, 'posts', id)
      const row = await (trx ?? db)('posts as p').join('users as u', 'u.id', 'p.author_id').where('p.id', id).first<PostRow | undefined>('p.*', 'u.username as author_name', 'u.role as author_role', 'u.created_at as author_created_at', 'u.post_count as author_post_count', ...AUTHOR_CARD)
      return row ?? null
    },

    /** The thread's newest visible floor (Discuz's goto=lastpost), on the (thread_id, position) key. */
    async lastVisiblePost (threadId: number): Promise<{ id: number, position: number } | null> {
      const row = await db('posts').where({ thread_id: threadId, status: 'visible' }).orderBy('position', 'desc')
        .first<{ id: number, position: number } | undefined>('id', 'position')
      return row ?? null
    },

    /** The newest visible threads; `boardIds` limits them to boards the reader may see. */
    async latestThreads (boardIds: readonly number[], limit: number): Promise<LatestThreadRow[]> {
      if (boardIds.length === 0) return []
      // The newest ids first (the status+created_at index, stopping after `limit`), then their names: joined
      // in one query, MariaDB joined every visible thread before sorting (180 ms with 20,000 threads).
      const newest = db('threads').where('status', 'visible').whereIn('board_id', boardIds)
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit)
        .select('id', 'board_id', 'title', 'author_id', 'created_at', 'reply_count', 'views')
      return await db.from(newest.as('t')).join('users as u', 'u.id', 't.author_id').join('boards as b', 'b.id', 't.board_id')
        .orderBy([{ column: 't.created_at', order: 'desc' }, { column: 't.id', order: 'desc' }])
        .select<LatestThreadRow[]>('t.id', 't.board_id', 'b.name as board_name', 't.title', 't.author_id', 'u.username as author_name', 't.created_at', 't.reply_count', 't.views')
    },

    async insertThread (trx: Knex.Transaction, fields: { boardId: number, authorId: number, authorName: string, title: string, typeLabel?: string, status: ContentStatus, at: number }): Promise<number> {
      const [id] = await trx('threads').insert({
        board_id: fields.boardId,
        author_id: fields.authorId,
        title: fields.title,
        type_label: fields.typeLabel ?? '',
        status: fields.status,
        last_position: 1,
        created_at: fields.at,
        last_post_at: fields.at,
        last_poster_id: fields.authorId,
        last_poster_name: fields.authorName
      })
      return Number(id)
    },

    async insertPost (trx: Knex.Transaction, fields: { threadId: number, authorId: number, position: number, body: string, rendered: StoredRender, status: ContentStatus, at: number }): Promise<number> {
      const [id] = await trx('posts').insert({
        thread_id: fields.threadId,
        author_id: fields.authorId,
        position: fields.position,
        body: fields.body,
        ...renderColumns(fields.rendered),
        status: fields.status,
        created_at: fields.at
      })
      return Number(id)
    },

    /** Hands out the thread's next floor: one UPDATE then a read in the caller's transaction (race-free). */
    async takeNextPosition (trx: Knex.Transaction, threadId: number): Promise<number> {
      await trx('threads').where({ id: threadId }).increment('last_position', 1)
      const row = await trx('threads').where({ id: threadId }).first<{ last_position: number } | undefined>('last_position')
      if (row === undefined) throw new Error(`thread ${threadId} vanished inside its transaction`)
      return Number(row.last_position)
    },

    /** Adds a visible post to its thread's, board's and author's counters and "last post" columns. */
    async countVisiblePost (trx: Knex.Transaction, e: VisiblePostEffect): Promise<void> {
      await trx('threads').where({ id: e.threadId }).update({
        reply_count: e.opensThread ? trx.raw('reply_count') : trx.raw('reply_count + 1'),
        last_post_at: e.at,
        last_poster_id: e.authorId,
        last_poster_name: e.authorName
      })
      await trx('boards').where({ id: e.boardId }).update({
        thread_count: e.opensThread ? trx.raw('thread_count + 1') : trx.raw('thread_count'),
        post_count: trx.raw('post_count + 1'),
        today_posts: trx.raw('CASE WHEN today_date = ? THEN today_posts + 1 ELSE 1 END', [e.today]),
        today_date: e.today,
        last_post_id: e.postId,
        last_thread_id: e.threadId,
        last_post_at: e.at,
        last_poster_name: e.authorName
      })
      await trx('users').where({ id: e.authorId }).increment('post_count', 1)
    },

    /** Takes `threads` threads and `posts` posts off a board's counters. */
    async uncountOnBoard (trx: Knex.Transaction, boardId: number, threads: number, posts: number): Promise<void> {
      await trx('boards').where({ id: boardId }).update({ thread_count: minus(trx, 'thread_count', threads), post_count: minus(trx, 'post_count', posts) })
    },

    async addToBoard (trx: Knex.Transaction, boardId: number, threads: number, posts: number): Promise<void> {
      await trx('boards').where({ id: boardId }).update({ thread_count: trx.raw('thread_count + ?', [threads]), post_count: trx.raw('post_count + ?', [posts]) })
    },

    async uncountReply (trx: Knex.Transaction, threadId: number): Promise<void> {
      await trx('threads').where({ id: threadId }).update({ reply_count: minus(trx, 'reply_count', 1) })
    },

    async uncountUserPosts (trx: Knex.Transaction, authorId: number, n: number): Promise<void> {
      await trx('users').where({ id: authorId }).update({ post_count: minus(trx, 'post_count', n) })
    },

    /** Visible posts of a thread per author (to take a deleted thread off its authors' post counts). */
    async visiblePostsByAuthor (trx: Knex.Transaction, threadId: number): Promise<Array<{ author_id: number, n: number }>> {
      const rows = await trx('posts').where({ thread_id: threadId, status: 'visible' }).groupBy('author_id')
        .select<Array<{ author_id: number, n: number | string }>>('author_id', trx.raw('COUNT(*) as n'))
      return rows.map((r) => ({ author_id: r.author_id, n: Number(r.n) }))
    },

    /** The thread's last reply columns from its newest visible post (after that post was deleted). */
    async refreshThreadLast (trx: Knex.Transaction, threadId: number): Promise<void> {
      const last = await trx('posts as p').join('users as u', 'u.id', 'p.author_id')
        .where({ 'p.thread_id': threadId, 'p.status': 'visible' }).orderBy('p.position', 'desc')
        .first<{ created_at: number, author_id: number, username: string } | undefined>('p.created_at', 'p.author_id', 'u.username')
      if (last === undefined) return
      await trx('threads').where({ id: threadId }).update({ last_post_at: last.created_at, last_poster_id: last.author_id, last_poster_name: last.username })
    },

    /** The board's 最后发表 from its most recently active visible thread (after a deletion or a move). */
    async refreshBoardLast (trx: Knex.Transaction, boardId: number): Promise<void> {
      const thread = await trx('threads').where({ board_id: boardId, status: 'visible' })
        .orderBy([{ column: 'last_post_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .first<{ id: number, last_post_at: number, last_poster_name: string } | undefined>('id', 'last_post_at', 'last_poster_name')
      if (thread === undefined) {
        await trx('boards').where({ id: boardId }).update({ last_post_id: null, last_thread_id: null, last_post_at: null, last_poster_name: null })
        return
      }
      const post = await trx('posts').where({ thread_id: thread.id, status: 'visible' }).orderBy('position', 'desc').first<{ id: number } | undefined>('id')
      await trx('boards').where({ id: boardId }).update({
        last_post_id: post?.id ?? null, last_thread_id: thread.id, last_post_at: thread.last_post_at, last_poster_name: thread.last_poster_name
      })
    },

    /** A member's threads and replies (floor > 1) since `since` that are not deleted: for hiding a banned member's recent posts. */
    async recentContentOf (trx: Knex.Transaction, authorId: number, since: number): Promise<{ threads: ThreadRow[], replies: PostRow[] }> {
      const threads = await trx('threads as t').join('users as u', 'u.id', 't.author_id')
        .where('t.author_id', authorId).andWhere('t.created_at', '>=', since).whereIn('t.status', ['visible', 'pending'])
        .select<ThreadRow[]>(...THREAD_COLUMNS)
      const replies = await trx('posts as p').join('users as u', 'u.id', 'p.author_id')
        .where('p.author_id', authorId).andWhere('p.created_at', '>=', since).andWhere('p.position', '>', 1).whereIn('p.status', ['visible', 'pending'])
        .select<PostRow[]>('p.*', 'u.username as author_name', 'u.role as author_role', 'u.created_at as author_created_at', 'u.post_count as author_post_count', ...AUTHOR_CARD)
      return { threads, replies }
    },

    async countPending (): Promise<number> {
      const row = await db('posts').where({ status: 'pending' }).count<{ n: number | string }>({ n: '*' }).first()
      return Number(row?.n ?? 0)
    },

    /** Posts waiting for review, oldest first (the order a moderator works through them), by the (status, created_at) index. */
    async pendingPosts (offset: number, limit: number): Promise<Array<PostRow & { thread_title: string, board_id: number }>> {
      return await db('posts as p').join('users as u', 'u.id', 'p.author_id').join('threads as t', 't.id', 'p.thread_id')
        .where('p.status', 'pending')
        .orderBy([{ column: 'p.created_at' }, { column: 'p.id' }])
        .offset(offset).limit(limit)
        .select<Array<PostRow & { thread_title: string, board_id: number }>>('p.*', 'u.username as author_name', 'u.role as author_role',
          'u.created_at as author_created_at', 'u.post_count as author_post_count', ...AUTHOR_CARD, 't.title as thread_title', 't.board_id')
    },

    async updateThread (trx: Knex.Transaction, id: number, fields: Partial<{ title: string, pinned: boolean, closed: boolean, status: ContentStatus, board_id: number }>): Promise<void> {
      await trx('threads').where({ id }).update(fields)
    },

    async updatePost (trx: Knex.Transaction, id: number, fields: Partial<{ body: string, rendered: StoredRender, status: ContentStatus, edited_at: number }>): Promise<void> {
      const { rendered, ...rest } = fields
      await trx('posts').where({ id }).update(rendered === undefined ? rest : { ...rest, ...renderColumns(rendered) })
    },

    /**
     * Writes back a body rendered on read because its stored copy was missing or older. Only over a
     * copy older than this one: an edit that landed meanwhile wrote the current version and wins.
     */
    async storeRender (id: number, rendered: StoredRender): Promise<void> {
      await db('posts').where({ id }).andWhere((q) => { q.whereNull('render_version').orWhere('render_version', '<', rendered.version) })
        .update(renderColumns(rendered))
    },

    /** Up to `limit` posts whose stored render is missing or older than `version`, by id (for the CLI). */
    async staleRenders (version: number, afterId: number, limit: number): Promise<Array<{ id: number, body: string }>> {
      return await db('posts').where('id', '>', afterId).andWhere((q) => { q.whereNull('render_version').orWhere('render_version', '<', version) })
        .orderBy('id').limit(limit).select<Array<{ id: number, body: string }>>('id', 'body')
    },

    /** Recomputes every thread's, board's and member's forum counters from the posts (forum:reconcile). */
    async reconcile (trx: Knex.Transaction, today: number): Promise<{ threads: number, boards: number, users: number }> {
      const lastVisible = (column: string): Knex.Raw => trx.raw(
        `(SELECT ${column} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.thread_id = threads.id AND p.status = 'visible' ORDER BY p.position DESC LIMIT 1)`)
      const threads = await trx('threads').update({
        reply_count: trx.raw("(SELECT COUNT(*) FROM posts p WHERE p.thread_id = threads.id AND p.status = 'visible' AND p.position > 1)"),
        last_position: trx.raw('(SELECT COALESCE(MAX(p.position), 0) FROM posts p WHERE p.thread_id = threads.id)'),
        last_post_at: trx.raw('COALESCE(?, created_at)', [lastVisible('p.created_at')]),
        last_poster_id: trx.raw('COALESCE(?, author_id)', [lastVisible('p.author_id')]),
        last_poster_name: trx.raw('COALESCE(?, last_poster_name)', [lastVisible('u.username')])
      })
      const boards = await trx('boards').update({
        thread_count: trx.raw("(SELECT COUNT(*) FROM threads t WHERE t.board_id = boards.id AND t.status = 'visible')"),
        post_count: trx.raw("(SELECT COUNT(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.board_id = boards.id AND t.status = 'visible' AND p.status = 'visible')"),
        today_posts: trx.raw("(SELECT COUNT(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.board_id = boards.id AND t.status = 'visible' AND p.status = 'visible' AND p.created_at >= ?)", [today]),
        today_date: today
      })
      for (const id of await trx('boards').pluck<number[]>('id')) await this.refreshBoardLast(trx, id)
      // 帖子数 on a member's row counts their visible forum posts (comments do not count there).
      const users = await trx('users').update({
        post_count: trx.raw("(SELECT COUNT(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.author_id = users.id AND p.status = 'visible' AND t.status = 'visible')")
      })
      return { threads: Number(threads), boards: Number(boards), users: Number(users) }
    },

    /** How many threads a guest may read (visible, on a guest-visible board): the sitemap's count. */
    async guestThreadCount (): Promise<number> {
      return Number((await guestThreads(db).count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0)
    },

    /** A page of the threads a guest may read, by id: the sitemap's entries. */
    async guestThreadPage (offset: number, limit: number): Promise<Array<{ id: number, last_post_at: number }>> {
      return await guestThreads(db).orderBy('t.id').offset(offset).limit(limit).select<Array<{ id: number, last_post_at: number }>>('t.id', 't.last_post_at')
    }
  }
}

// Crawlers get the threads guests may read (members-only boards never appear, nor boards under one:
// the tree is at most group → board → sub-board deep, src/features/forum/boards-admin.ts, so the board,
// its parent and its grandparent are all there is to check).
function guestThreads (db: Knex): Knex.QueryBuilder {
  return db('threads as t').join('boards as b', 'b.id', 't.board_id')
    .leftJoin('boards as bp', 'bp.id', 'b.parent_id')
    .leftJoin('boards as bg', 'bg.id', 'bp.parent_id')
    .where('t.status', 'visible').andWhere('b.guest_visible', true)
    .andWhere((q) => { void q.whereNull('bp.id').orWhere('bp.guest_visible', true) })
    .andWhere((q) => { void q.whereNull('bg.id').orWhere('bg.guest_visible', true) })
}

export type ForumRepository = ReturnType<typeof forumRepository>
