import type { Knex } from 'knex'
import { badRequest, forbidden, notFound } from '../../lib/http-errors'
import { RENDERER_VERSION, renderBody, renderStoredBody } from '../../lib/markdown'
import { paginate, type Page } from '../../lib/pagination'
import { can, isStaff, type AuthUser } from '../../lib/permissions'
import { formatDateTime, startOfSiteDay } from '../../lib/dates'
import { auditLog } from '../moderation/audit'
import type { ContributionCheck } from './contribution'
import { forumRepository, type BoardRow, type LatestThreadRow, type PostRow, type StoredRender, type ThreadRow } from './repository'

/** Forum rules: who sees which board and thread, posting, floors, counters, moderation. No Fastify types here. */

export const messages = {
  boardNotFound: '抱歉，指定的版块不存在',
  threadNotFound: '抱歉，指定的主题不存在或已被删除或正在被审核',
  postNotFound: '抱歉，指定的帖子不存在或已被删除',
  titleEmpty: '抱歉，您尚未输入标题',
  titleTooLong: '抱歉，您的标题超过 80 个字符，请修改标题长度',
  bodyEmpty: '抱歉，您尚未输入内容',
  bodyTooLong: `抱歉，您的帖子超过 ${20000} 个字符的限制`,
  closed: '本主题已关闭，不能再回复',
  groupNoThreads: '抱歉，分区下不能直接发帖，请选择一个版块',
  moveSameBoard: '主题已在该版块中',
  moveBadBoard: '请选择要移动到的版块',
  firstPostHasReplies: '主题已有回复，不能删除，请联系版主',
  threadNotApproved: '请先审核该主题的楼主帖'
} as const

export const THREADS_PER_PAGE = 20
export const POSTS_PER_PAGE = 10
export const TITLE_MAX_LENGTH = 80
export const BODY_MAX_LENGTH = 20000
export const LATEST_THREADS = 10
export const REVIEW_PAGE_SIZE = 20
/** How far back 同时屏蔽该会员最近的帖子 reaches when a member is banned. */
export const HIDE_RECENT_SECONDS = 3 * 86400

export interface Board {
  id: number
  parentId: number | null
  isGroup: boolean
  name: string
  description: string
  guestVisible: boolean
  threadCount: number
  postCount: number
  /** Posts since the start of today (site day): 0 when the stored counter is from another day. */
  todayPosts: number
  lastPost: { threadId: number, title: string, posterName: string, at: number } | null
  children: Board[]
}

export class BoardTree {
  readonly roots: Board[]
  private readonly byId: Map<number, Board>

  constructor (rows: readonly BoardRow[], today: number) {
    this.byId = new Map(rows.map((r) => [r.id, {
      id: r.id,
      parentId: r.parent_id,
      isGroup: Boolean(r.is_group),
      name: r.name,
      description: r.description,
      guestVisible: Boolean(r.guest_visible),
      threadCount: r.thread_count,
      postCount: r.post_count,
      todayPosts: r.today_date === today ? r.today_posts : 0,
      lastPost: r.last_thread_id !== null && r.last_post_at !== null
        ? { threadId: r.last_thread_id, title: r.last_thread_title ?? '', posterName: r.last_poster_name ?? '', at: r.last_post_at }
        : null,
      children: []
    }]))
    this.roots = []
    for (const b of this.byId.values()) {
      const parent = b.parentId === null ? undefined : this.byId.get(b.parentId)
      if (parent === undefined) this.roots.push(b)
      else parent.children.push(b)
    }
  }

  get (id: number): Board | null { return this.byId.get(id) ?? null }

  /** The board and its ancestors, group first (for breadcrumbs). */
  path (id: number): Board[] {
    const out: Board[] = []
    const seen = new Set<number>()
    let b = this.byId.get(id)
    while (b !== undefined && !seen.has(b.id)) {
      seen.add(b.id)
      out.unshift(b)
      b = b.parentId === null ? undefined : this.byId.get(b.parentId)
    }
    return out
  }

  /** Members see every board; guests only boards that, with every board above them, are open to guests. */
  visibleTo (viewer: AuthUser | null, id: number): boolean {
    const path = this.path(id)
    if (path.length === 0) return false
    return viewer !== null || path.every((b) => b.guestVisible)
  }

  /** Ids of the boards (not groups) a reader may see: for lists that span boards. */
  visibleBoardIds (viewer: AuthUser | null): number[] {
    return [...this.byId.values()].filter((b) => !b.isGroup && this.visibleTo(viewer, b.id)).map((b) => b.id)
  }

  /** A reader's copy of the tree with the boards they may not see left out. */
  prunedFor (viewer: AuthUser | null): Board[] {
    const prune = (list: Board[]): Board[] => list.filter((b) => this.visibleTo(viewer, b.id)).map((b) => ({ ...b, children: prune(b.children) }))
    return prune(this.roots)
  }

  /** Boards a thread may be moved to, with their depth for indentation. */
  boardsForMove (): Array<{ id: number, name: string, depth: number }> {
    const out: Array<{ id: number, name: string, depth: number }> = []
    const walk = (list: Board[], depth: number): void => {
      for (const b of list) {
        if (!b.isGroup) out.push({ id: b.id, name: b.name, depth })
        walk(b.children, depth + 1)
      }
    }
    walk(this.roots, 0)
    return out
  }
}

export interface PostView {
  id: number
  position: number
  floorLabel: string
  authorId: number
  authorName: string
  authorRole: string
  authorJoinedAt: number
  authorPostCount: number
  createdAt: number
  editedAt: number | null
  status: PostRow['status']
  /** Sanitized HTML, or null when the reader sees a placeholder (deleted, or pending for others). */
  bodyHtml: string | null
  canEdit: boolean
}

export interface ThreadPageView {
  thread: ThreadRow
  board: Board
  boardPath: Board[]
  posts: PostView[]
  page: Page
  canReply: boolean
  canModerate: boolean
  moveTargets: Array<{ id: number, name: string, depth: number }>
}

export interface ForumServiceOptions {
  db: Knex
  /** Replica for guest reads, when there is one. */
  dbRead?: Knex
  timeZone: string
  /** The anti-abuse module (antiAbuseFor(db)), or a stand-in with the same two functions. */
  antiAbuse: { checkContribution: ContributionCheck, checkEdit: ContributionCheck }
  /** Reuse the board list this long for reads (default 0: read fresh). */
  boardCacheMs?: number
}

/** A thread page as text (the Archiver): visible posts only, bodies without images. */
export interface ThreadTextView {
  thread: ThreadRow
  boardPath: Board[]
  page: Page
  posts: Array<{ id: number, floorLabel: string, authorName: string, createdAt: number, editedAt: number | null, textHtml: string }>
}

export interface ModerationContext { actor: AuthUser, now: number, requestId?: string, reason?: string }

/**
 * A body as it is stored: rendered once here, when it is written (post, reply, edit), so reading a
 * thread never parses Markdown. A body the renderer refuses (too deep, too much markup: see
 * MARKDOWN_LIMITS) is a 400 with the reason, and nothing is stored. Writers call it inside their
 * transaction after the anti-abuse check: a post refused for flooding costs no render, and the
 * render (bounded, ~1 ms for a real post) is of the text stored, replace-words applied.
 */
export function renderForStorage (body: string): StoredRender {
  const rendered = renderBody(body)
  if ('refusal' in rendered) throw badRequest(rendered.refusal)
  return { ...rendered, version: RENDERER_VERSION }
}

/** The stored render of a row when it is current; null when it must be rendered again (older renderer, or written before it was stored). */
function currentRender (post: Pick<PostRow, 'body_html' | 'body_text_html' | 'render_version'>): { html: string, textHtml: string } | null {
  return post.render_version === RENDERER_VERSION && post.body_html !== null && post.body_text_html !== null
    ? { html: post.body_html, textHtml: post.body_text_html }
    : null
}

export function floorLabel (position: number): string {
  return position === 1 ? '楼主' : `${position}楼`
}

/** Validates and normalises a title: one line, 1–80 characters (counted as characters, not bytes). */
export function cleanTitle (raw: unknown): string {
  const title = (typeof raw === 'string' ? raw : '').replace(/[\r\n\t]+/g, ' ').trim()
  if (title === '') throw badRequest(messages.titleEmpty)
  if ([...title].length > TITLE_MAX_LENGTH) throw badRequest(messages.titleTooLong)
  return title
}

export function cleanBody (raw: unknown): string {
  const body = (typeof raw === 'string' ? raw : '').replace(/\r\n?/g, '\n')
  if (body.trim() === '') throw badRequest(messages.bodyEmpty)
  if ([...body].length > BODY_MAX_LENGTH) throw badRequest(messages.bodyTooLong)
  return body
}

export function forumService (options: ForumServiceOptions) {
  const { db, timeZone } = options
  const checkContribution: ContributionCheck = async (input) => await options.antiAbuse.checkContribution(input)
  const dbRead = options.dbRead ?? db
  const repo = forumRepository(db)
  const readRepo = forumRepository(dbRead)
  const audit = auditLog(db)

  const today = (now: number): number => startOfSiteDay(now, timeZone)

  let cachedBoards: { rows: Awaited<ReturnType<typeof readRepo.allBoards>>, at: number } | null = null
  async function boardTree (now: number, trx?: Knex.Transaction): Promise<BoardTree> {
    // Boards are few; read fresh each time so an admin's change shows at once on every instance,
    // unless this instance was built with a short cache (the Archiver's text pages).
    if (trx !== undefined) return new BoardTree(await repo.allBoards(trx), today(now))
    const cacheMs = options.boardCacheMs ?? 0
    const nowMs = now * 1000
    if (cacheMs <= 0) return new BoardTree(await readRepo.allBoards(), today(now))
    if (cachedBoards === null || nowMs - cachedBoards.at >= cacheMs || nowMs < cachedBoards.at) {
      cachedBoards = { rows: await readRepo.allBoards(), at: nowMs }
    }
    return new BoardTree(cachedBoards.rows, today(now))
  }

  /**
   * The rendered bodies of a page's posts, from their rows. A row without a current render (written
   * before renders were stored, or by an older RENDERER_VERSION) is rendered here once, bounded like
   * any body (one the renderer refuses shows as plain text), and written back for the next reader.
   */
  async function storedRenders (rows: readonly PostRow[]): Promise<Map<number, { html: string, textHtml: string }>> {
    const out = new Map<number, { html: string, textHtml: string }>()
    for (const p of rows) {
      const current = currentRender(p)
      if (current !== null) {
        out.set(p.id, current)
        continue
      }
      const fresh: StoredRender = { ...renderStoredBody(p.body), version: RENDERER_VERSION }
      await repo.storeRender(p.id, fresh)
      out.set(p.id, fresh)
    }
    return out
  }

  function mayReadThread (viewer: AuthUser | null, thread: ThreadRow, tree: BoardTree): boolean {
    if (!tree.visibleTo(viewer, thread.board_id)) return false
    if (thread.status === 'visible') return true
    return thread.status === 'pending' && viewer !== null && (viewer.id === thread.author_id || isStaff(viewer))
  }

  async function lockReadableThread (trx: Knex.Transaction, viewer: AuthUser | null, threadId: number, now: number): Promise<{ thread: ThreadRow, tree: BoardTree }> {
    const thread = await repo.findThread(threadId, trx)
    const tree = await boardTree(now, trx)
    if (thread === null || !mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
    return { thread, tree }
  }

  /** Takes a whole visible thread off its board's and authors' counters. */
  async function uncountThread (trx: Knex.Transaction, thread: ThreadRow): Promise<void> {
    const byAuthor = await repo.visiblePostsByAuthor(trx, thread.id)
    const posts = byAuthor.reduce((sum, r) => sum + r.n, 0)
    await repo.uncountOnBoard(trx, thread.board_id, 1, posts)
    for (const r of byAuthor) await repo.uncountUserPosts(trx, r.author_id, r.n)
  }

  return {
    boardTree,

    /** The forum index: groups with their boards, minus what the reader may not see. */
    async index (viewer: AuthUser | null, now: number): Promise<{ groups: Board[], totals: { threads: number, posts: number, today: number } }> {
      const tree = await boardTree(now)
      const groups = tree.prunedFor(viewer)
      let threads = 0; let posts = 0; let todayPosts = 0
      const add = (list: Board[]): void => {
        for (const b of list) {
          threads += b.threadCount; posts += b.postCount; todayPosts += b.todayPosts
          add(b.children)
        }
      }
      add(groups)
      return { groups, totals: { threads, posts, today: todayPosts } }
    },

    async board (viewer: AuthUser | null, id: number, requestedPage: number, now: number): Promise<{ board: Board, path: Board[], subBoards: Board[], threads: ThreadRow[], page: Page }> {
      const tree = await boardTree(now)
      const board = tree.get(id)
      if (board === null || board.isGroup || !tree.visibleTo(viewer, id)) throw notFound(messages.boardNotFound)
      const page = paginate(requestedPage, THREADS_PER_PAGE, board.threadCount)
      const threads = await readRepo.boardThreads(id, page.offset, page.perPage)
      return { board, path: tree.path(id), subBoards: board.children.filter((b) => tree.visibleTo(viewer, b.id)), threads, page }
    },

    /** A board a member may open a thread in (for the new-thread form). */
    async boardForPosting (viewer: AuthUser, id: number, now: number): Promise<{ board: Board, path: Board[] }> {
      const tree = await boardTree(now)
      const board = tree.get(id)
      if (board === null || !tree.visibleTo(viewer, id)) throw notFound(messages.boardNotFound)
      if (board.isGroup) throw badRequest(messages.groupNoThreads)
      return { board, path: tree.path(id) }
    },

    /** One page of a thread; `requestedPage` 'last' is the last page. */
    async thread (viewer: AuthUser | null, id: number, requestedPage: number | 'last', now: number): Promise<ThreadPageView> {
      const thread = await repo.findThread(id)
      const tree = await boardTree(now)
      if (thread === null || !mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
      const board = tree.get(thread.board_id)
      if (board === null) throw notFound(messages.threadNotFound)
      // Floors are never reused, so the page count follows the last floor handed out (deleted floors keep their place).
      const pageCount = Math.max(1, Math.ceil(thread.last_position / POSTS_PER_PAGE))
      const page = paginate(requestedPage === 'last' ? pageCount : requestedPage, POSTS_PER_PAGE, thread.last_position)
      const rows = await repo.postsInRange(id, (page.page - 1) * POSTS_PER_PAGE + 1, page.page * POSTS_PER_PAGE)
      const staff = isStaff(viewer)
      const rendered = await storedRenders(rows)
      const posts: PostView[] = rows.map((p) => {
        const readable = p.status === 'visible' || (p.status === 'pending' && viewer !== null && (staff || viewer.id === p.author_id))
        return {
          id: p.id,
          position: p.position,
          floorLabel: floorLabel(p.position),
          authorId: p.author_id,
          authorName: p.author_name,
          authorRole: p.author_role,
          authorJoinedAt: p.author_created_at,
          authorPostCount: p.author_post_count,
          createdAt: p.created_at,
          editedAt: p.edited_at,
          status: p.status,
          bodyHtml: readable ? (rendered.get(p.id)?.html ?? null) : null,
          canEdit: p.status !== 'deleted' && can(viewer, { action: 'edit-own', resource: { authorId: p.author_id } }, now)
        }
      })
      const canModerate = can(viewer, { action: 'moderate' }, now)
      return {
        thread,
        board,
        boardPath: tree.path(board.id),
        posts,
        page,
        canReply: thread.status === 'visible' && (!thread.closed || canModerate) && can(viewer, { action: 'write' }, now),
        canModerate,
        moveTargets: canModerate ? tree.boardsForMove() : []
      }
    },

    /**
     * Where a floor is shown: its thread, page and anchor (Discuz's redirect&goto=findpost&pid=P, and
     * goto=lastpost for a thread's newest visible floor). Null when there is no such floor or the
     * reader may not read its thread, so a redirect reveals nothing the thread page would not.
     */
    async floorLocation (viewer: AuthUser | null, target: { postId: number } | { lastOf: number }, now: number): Promise<{ threadId: number, page: number, postId: number | null } | null> {
      let threadId: number
      let floor: { id: number, position: number } | null
      if ('postId' in target) {
        const post = await readRepo.findPost(target.postId)
        if (post === null) return null
        threadId = post.thread_id
        floor = { id: post.id, position: post.position }
      } else {
        threadId = target.lastOf
        floor = await readRepo.lastVisiblePost(threadId)
      }
      const thread = await readRepo.findThread(threadId)
      if (thread === null || !mayReadThread(viewer, thread, await boardTree(now))) return null
      if (floor === null) return { threadId, page: 1, postId: null }
      return { threadId, page: Math.max(1, Math.ceil(floor.position / POSTS_PER_PAGE)), postId: floor.id }
    },

    /** Two queries: the thread, then its page of floors; the board list comes from the tree. */
    async threadText (viewer: AuthUser | null, id: number, requestedPage: number, now: number): Promise<ThreadTextView> {
      const thread = await readRepo.findThread(id)
      const tree = await boardTree(now)
      if (thread === null || !mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
      const board = tree.get(thread.board_id)
      if (board === null) throw notFound(messages.threadNotFound)
      const page = paginate(requestedPage, POSTS_PER_PAGE, thread.last_position)
      const rows = await readRepo.postsInRange(id, (page.page - 1) * POSTS_PER_PAGE + 1, page.page * POSTS_PER_PAGE)
      const visible = rows.filter((p) => p.status === 'visible')
      const rendered = await storedRenders(visible)
      const posts = visible.map((p) => ({
        id: p.id, floorLabel: floorLabel(p.position), authorName: p.author_name, createdAt: p.created_at, editedAt: p.edited_at, textHtml: rendered.get(p.id)?.textHtml ?? ''
      }))
      return { thread, boardPath: tree.path(board.id), page, posts }
    },

    /** The quick-reply prefill for `?quote=<pid>`: the quoted post as a Markdown blockquote. */
    async quoteText (viewer: AuthUser | null, threadId: number, postId: number): Promise<string> {
      const post = await repo.findPost(postId)
      if (post === null || post.thread_id !== threadId || post.status !== 'visible') return ''
      const excerpt = [...post.body.replace(/^>.*$/gm, '').trim()].slice(0, 200).join('')
      const quoted = excerpt.split('\n').map((line) => `> ${line}`).join('\n')
      void viewer
      return `> **${post.author_name}** 发表于 ${formatDateTime(post.created_at, timeZone)}\n${quoted}\n\n`
    },

    async latestThreads (viewer: AuthUser | null, now: number, limit = LATEST_THREADS): Promise<LatestThreadRow[]> {
      const tree = await boardTree(now)
      return await readRepo.latestThreads(tree.visibleBoardIds(viewer), limit)
    },

    /** Opens a thread: thread row, 楼主 post, counters, all in one transaction with the anti-abuse check. */
    async createThread (user: AuthUser, boardId: number, input: { title: unknown, body: unknown }, now: number): Promise<{ threadId: number, postId: number, status: 'visible' | 'pending' }> {
      const title = cleanTitle(input.title)
      const body = cleanBody(input.body)
      if (!can(user, { action: 'write' }, now)) throw forbidden()
      return await db.transaction(async (trx) => {
        // The board row first: inserting the thread takes a shared lock on it (foreign key), and two
        // such shared locks both upgrading for the counter UPDATE would deadlock on InnoDB.
        await repo.lockBoards(trx, [boardId])
        const tree = await boardTree(now, trx)
        const board = tree.get(boardId)
        if (board === null || !tree.visibleTo(user, boardId)) throw notFound(messages.boardNotFound)
        if (board.isGroup) throw badRequest(messages.groupNoThreads)
        // The title cannot hold a newline, so the checked text splits back at the first one.
        const checked = await checkContribution({ user, text: `${title}\n${body}`, now, trx, noun: '帖子' })
        const cut = checked.text.indexOf('\n')
        const finalTitle = cut < 0 ? title : checked.text.slice(0, cut)
        const finalBody = cut < 0 ? body : checked.text.slice(cut + 1)
        const threadId = await repo.insertThread(trx, { boardId, authorId: user.id, authorName: user.username, title: finalTitle, status: checked.status, at: now })
        const postId = await repo.insertPost(trx, { threadId, authorId: user.id, position: 1, body: finalBody, rendered: renderForStorage(finalBody), status: checked.status, at: now })
        if (checked.status === 'visible') {
          await repo.countVisiblePost(trx, { boardId, threadId, postId, authorId: user.id, authorName: user.username, at: now, today: today(now), opensThread: true })
        }
        return { threadId, postId, status: checked.status }
      })
    },

    /** A reply: the next floor of the thread, taken race-free inside the transaction. */
    async reply (user: AuthUser, threadId: number, input: { body: unknown }, now: number): Promise<{ postId: number, position: number, page: number, status: 'visible' | 'pending' }> {
      const body = cleanBody(input.body)
      if (!can(user, { action: 'write' }, now)) throw forbidden()
      return await db.transaction(async (trx) => {
        const { thread } = await lockReadableThread(trx, user, threadId, now)
        if (thread.status !== 'visible') throw notFound(messages.threadNotFound)
        if (Boolean(thread.closed) && !isStaff(user)) throw forbidden(messages.closed)
        const checked = await checkContribution({ user, text: body, now, trx, noun: '回复' })
        const position = await repo.takeNextPosition(trx, threadId)
        const postId = await repo.insertPost(trx, { threadId, authorId: user.id, position, body: checked.text, rendered: renderForStorage(checked.text), status: checked.status, at: now })
        if (checked.status === 'visible') {
          await repo.countVisiblePost(trx, { boardId: thread.board_id, threadId, postId, authorId: user.id, authorName: user.username, at: now, today: today(now), opensThread: false })
        }
        return { postId, position, page: Math.ceil(position / POSTS_PER_PAGE), status: checked.status }
      })
    },

    /** The post and its thread, for the edit form (author or staff only). */
    async postForEdit (user: AuthUser, postId: number, now: number): Promise<{ post: PostRow, thread: ThreadRow, boardPath: Board[] }> {
      const post = await repo.findPost(postId)
      if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
      const thread = await repo.findThread(post.thread_id)
      const tree = await boardTree(now)
      if (thread === null || !mayReadThread(user, thread, tree)) throw notFound(messages.postNotFound)
      if (!can(user, { action: 'edit-own', resource: { authorId: post.author_id } }, now)) throw forbidden()
      return { post, thread, boardPath: tree.path(thread.board_id) }
    },

    /**
     * Edits a post (and the thread title on 楼主). Edits take no flood slot, but the word list applies:
     * a blocked word refuses the edit, replace words are replaced, and a word that needs review sends a
     * member's visible post back to review (off the counters until approved).
     */
    async editPost (user: AuthUser, postId: number, input: { title?: unknown, body: unknown }, now: number): Promise<{ threadId: number, position: number, status: PostRow['status'] }> {
      const body = cleanBody(input.body)
      return await db.transaction(async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
        const { thread } = await lockReadableThread(trx, user, post.thread_id, now)
        if (!can(user, { action: 'edit-own', resource: { authorId: post.author_id } }, now)) throw forbidden()
        const title = post.position === 1 && input.title !== undefined ? cleanTitle(input.title) : null
        // The word list over the edit, inside this transaction (no flood slot for an edit).
        const checked = await options.antiAbuse.checkEdit({ user, text: title === null ? body : `${title}\n${body}`, now, trx, noun: '帖子' })
        const cut = title === null ? -1 : checked.text.indexOf('\n')
        const finalTitle = title === null ? null : (cut < 0 ? title : checked.text.slice(0, cut))
        const finalBody = title === null ? checked.text : (cut < 0 ? body : checked.text.slice(cut + 1))
        let status = post.status
        if (checked.status === 'pending' && post.status === 'visible') {
          status = 'pending'
          if (post.position === 1) {
            if (thread.status === 'visible') await uncountThread(trx, thread)
            await repo.updateThread(trx, thread.id, { status: 'pending' })
          } else if (thread.status === 'visible') {
            await repo.uncountReply(trx, thread.id)
            await repo.uncountOnBoard(trx, thread.board_id, 0, 1)
            await repo.uncountUserPosts(trx, post.author_id, 1)
          }
        }
        if (finalTitle !== null) await repo.updateThread(trx, post.thread_id, { title: finalTitle })
        await repo.updatePost(trx, postId, { body: finalBody, rendered: renderForStorage(finalBody), edited_at: now, status })
        if (status !== post.status) {
          await repo.refreshThreadLast(trx, thread.id)
          await repo.refreshBoardLast(trx, thread.board_id)
        }
        return { threadId: post.thread_id, position: post.position, status }
      })
    },

    /** A moderator approves a post waiting for review (楼主 approves its thread too); it joins the counters now. */
    async approvePost (ctx: ModerationContext, postId: number): Promise<{ threadId: number, position: number }> {
      if (!can(ctx.actor, { action: 'moderate' }, ctx.now)) throw forbidden()
      return await db.transaction(async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status !== 'pending') throw notFound(messages.postNotFound)
        const { thread } = await lockReadableThread(trx, ctx.actor, post.thread_id, ctx.now)
        const opensThread = post.position === 1
        if (!opensThread && thread.status !== 'visible') throw badRequest(messages.threadNotApproved)
        await repo.updatePost(trx, post.id, { status: 'visible' })
        if (opensThread) await repo.updateThread(trx, thread.id, { status: 'visible' })
        await repo.countVisiblePost(trx, {
          boardId: thread.board_id, threadId: thread.id, postId: post.id, authorId: post.author_id, authorName: post.author_name, at: post.created_at, today: today(ctx.now), opensThread
        })
        // The approved post may be older than the newest ones: take the "last post" columns from the data.
        await repo.refreshThreadLast(trx, thread.id)
        await repo.refreshBoardLast(trx, thread.board_id)
        await audit.record({
          actorId: ctx.actor.id, action: 'post_approve', targetType: 'post', targetId: post.id, targetUserId: post.author_id,
          reason: ctx.reason, before: { status: 'pending' }, after: { status: 'visible' }, requestId: ctx.requestId, at: ctx.now
        }, trx)
        return { threadId: thread.id, position: post.position }
      })
    },

    /**
     * Soft-deletes a post (its floor stays, shown as 该帖已被删除). Floor 1 deletes the whole thread:
     * its author may do that only while nobody has replied. Staff deletions are audited.
     */
    async deletePost (ctx: ModerationContext, postId: number): Promise<{ threadId: number, threadDeleted: boolean, boardId: number, position: number }> {
      const { actor, now } = ctx
      return await db.transaction(async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
        const { thread } = await lockReadableThread(trx, actor, post.thread_id, now)
        if (!can(actor, { action: 'edit-own', resource: { authorId: post.author_id } }, now)) throw forbidden()
        const staff = isStaff(actor)
        if (post.position === 1) {
          if (!staff && thread.reply_count > 0) throw forbidden(messages.firstPostHasReplies)
          await deleteThreadIn(trx, thread, ctx)
          return { threadId: thread.id, threadDeleted: true, boardId: thread.board_id, position: 1 }
        }
        if (post.status === 'visible' && thread.status === 'visible') {
          await repo.uncountReply(trx, thread.id)
          await repo.uncountOnBoard(trx, thread.board_id, 0, 1)
          await repo.uncountUserPosts(trx, post.author_id, 1)
        }
        await repo.updatePost(trx, postId, { status: 'deleted' })
        await repo.refreshThreadLast(trx, thread.id)
        await repo.refreshBoardLast(trx, thread.board_id)
        if (staff) {
          await audit.record({
            actorId: actor.id, action: 'post_delete', targetType: 'post', targetId: postId, targetUserId: post.author_id,
            reason: ctx.reason, before: { status: post.status, threadId: thread.id, position: post.position }, after: { status: 'deleted' }, requestId: ctx.requestId, at: now
          }, trx)
        }
        return { threadId: thread.id, threadDeleted: false, boardId: thread.board_id, position: post.position }
      })
    },

    async setPinned (ctx: ModerationContext, threadId: number, pinned: boolean): Promise<void> {
      await moderateThread(ctx, threadId, async (trx, thread) => {
        await repo.updateThread(trx, thread.id, { pinned })
        return { action: 'thread_pin', before: { pinned: Boolean(thread.pinned) }, after: { pinned } }
      })
    },

    async setClosed (ctx: ModerationContext, threadId: number, closed: boolean): Promise<void> {
      await moderateThread(ctx, threadId, async (trx, thread) => {
        await repo.updateThread(trx, thread.id, { closed })
        return { action: 'thread_close', before: { closed: Boolean(thread.closed) }, after: { closed } }
      })
    },

    /** Moves a thread with its counters: off the old board, onto the new one, both boards' 最后发表 refreshed. */
    async move (ctx: ModerationContext, threadId: number, targetBoardId: number): Promise<void> {
      await moderateThread(ctx, threadId, async (trx, thread, tree) => {
        const target = tree.get(targetBoardId)
        if (target === null || target.isGroup) throw badRequest(messages.moveBadBoard)
        if (target.id === thread.board_id) throw badRequest(messages.moveSameBoard)
        await repo.lockBoards(trx, [thread.board_id, target.id])
        if (thread.status === 'visible') {
          const posts = (await repo.visiblePostsByAuthor(trx, thread.id)).reduce((sum, r) => sum + r.n, 0)
          await repo.uncountOnBoard(trx, thread.board_id, 1, posts)
          await repo.addToBoard(trx, target.id, 1, posts)
        }
        await repo.updateThread(trx, thread.id, { board_id: target.id })
        await repo.refreshBoardLast(trx, thread.board_id)
        await repo.refreshBoardLast(trx, target.id)
        return { action: 'thread_move', before: { boardId: thread.board_id }, after: { boardId: target.id } }
      })
    },

    async deleteThread (ctx: ModerationContext, threadId: number): Promise<{ boardId: number }> {
      let boardId = 0
      await moderateThread(ctx, threadId, async (trx, thread) => {
        boardId = thread.board_id
        await deleteThreadIn(trx, thread, ctx, false)
        return { action: 'thread_delete', before: { status: thread.status }, after: { status: 'deleted' } }
      })
      return { boardId }
    },

    /**
     * A ban hook: when the moderator asks to hide a banned member's recent content, their threads
     * and replies of the last HIDE_RECENT_SECONDS are soft-deleted with every counter following,
     * inside the ban's transaction (the ban's audit row records the numbers).
     */
    async hideRecentContent (trx: Knex.Transaction, authorId: number, at: number): Promise<{ hiddenThreads: number, hiddenPosts: number }> {
      const { threads, replies } = await repo.recentContentOf(trx, authorId, at - HIDE_RECENT_SECONDS)
      const touchedBoards = new Set<number>()
      for (const thread of threads) {
        if (thread.status === 'visible') await uncountThread(trx, thread)
        await repo.updateThread(trx, thread.id, { status: 'deleted' })
        touchedBoards.add(thread.board_id)
      }
      const deletedThreads = new Set(threads.map((th) => th.id))
      let hiddenPosts = 0
      for (const post of replies) {
        if (deletedThreads.has(post.thread_id)) continue
        const thread = await repo.findThread(post.thread_id, trx)
        if (thread === null || thread.status === 'deleted') continue
        if (post.status === 'visible' && thread.status === 'visible') {
          await repo.uncountReply(trx, thread.id)
          await repo.uncountOnBoard(trx, thread.board_id, 0, 1)
          await repo.uncountUserPosts(trx, post.author_id, 1)
        }
        await repo.updatePost(trx, post.id, { status: 'deleted' })
        await repo.refreshThreadLast(trx, thread.id)
        touchedBoards.add(thread.board_id)
        hiddenPosts++
      }
      for (const boardId of touchedBoards) await repo.refreshBoardLast(trx, boardId)
      return { hiddenThreads: threads.length, hiddenPosts }
    },

    /** The review queue: posts (and new threads' 楼主) waiting for a moderator. */
    async reviewQueue (viewer: AuthUser, requestedPage: number, now: number): Promise<{ posts: Array<PostRow & { thread_title: string, board_id: number, board_name: string, floorLabel: string }>, page: Page }> {
      if (!can(viewer, { action: 'moderate' }, now)) throw forbidden()
      const page = paginate(requestedPage, REVIEW_PAGE_SIZE, await repo.countPending())
      const tree = await boardTree(now)
      const rows = await repo.pendingPosts(page.offset, page.perPage)
      return { posts: rows.map((r) => ({ ...r, board_name: tree.get(r.board_id)?.name ?? '', floorLabel: floorLabel(r.position) })), page }
    },

    /** Renders every post whose stored render is missing or older than RENDERER_VERSION (forum:render), in batches by id. */
    async renderStale (batchSize = 500): Promise<number> {
      let afterId = 0
      let rendered = 0
      for (;;) {
        const batch = await repo.staleRenders(RENDERER_VERSION, afterId, batchSize)
        if (batch.length === 0) return rendered
        for (const p of batch) {
          await repo.storeRender(p.id, { ...renderStoredBody(p.body), version: RENDERER_VERSION })
          afterId = p.id
          rendered++
        }
      }
    },

    /** Recomputes every board's, thread's and member's forum counters (forum:reconcile). */
    async reconcile (now: number): Promise<{ threads: number, boards: number, users: number }> {
      return await db.transaction(async (trx) => await repo.reconcile(trx, today(now)))
    }
  }

  async function deleteThreadIn (trx: Knex.Transaction, thread: ThreadRow, ctx: ModerationContext, auditHere = true): Promise<void> {
    if (thread.status === 'visible') await uncountThread(trx, thread)
    await repo.updateThread(trx, thread.id, { status: 'deleted' })
    await repo.refreshBoardLast(trx, thread.board_id)
    if (auditHere && isStaff(ctx.actor)) {
      await audit.record({
        actorId: ctx.actor.id, action: 'thread_delete', targetType: 'thread', targetId: thread.id, targetUserId: thread.author_id,
        reason: ctx.reason, before: { status: thread.status }, after: { status: 'deleted' }, requestId: ctx.requestId, at: ctx.now
      }, trx)
    }
  }

  /** A moderator action on a thread: permission, row lock, the change and its audit row in one transaction. */
  async function moderateThread (ctx: ModerationContext, threadId: number,
    change: (trx: Knex.Transaction, thread: ThreadRow, tree: BoardTree) => Promise<{ action: string, before: unknown, after: unknown }>): Promise<void> {
    if (!can(ctx.actor, { action: 'moderate' }, ctx.now)) throw forbidden()
    await db.transaction(async (trx) => {
      const { thread, tree } = await lockReadableThread(trx, ctx.actor, threadId, ctx.now)
      if (thread.status === 'deleted') throw notFound(messages.threadNotFound)
      const entry = await change(trx, thread, tree)
      await audit.record({
        actorId: ctx.actor.id, action: entry.action, targetType: 'thread', targetId: thread.id, targetUserId: thread.author_id,
        reason: ctx.reason, before: entry.before, after: entry.after, requestId: ctx.requestId, at: ctx.now
      }, trx)
    })
  }
}

export type ForumService = ReturnType<typeof forumService>
