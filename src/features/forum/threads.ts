import { notFound } from '../../lib/http-errors'
import { paginate, type Page } from '../../lib/pagination'
import { activeBan, can, isStaff, type AuthUser } from '../../lib/permissions'
import { formatDateTime } from '../../lib/dates'
import type { Board } from './boards'
import type { BoardReadOptions, ForumContext } from './context'
import { storedRenders } from './renders'
import type { PostRow, ThreadRow } from './repository'
import { floorLabel, messages, pageOfFloor, POSTS_PER_PAGE } from './rules'

/** Reading a thread: its pages (full and as text), finding a floor, quoting a post. Opening one: opening.ts. */

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
  /** 签名 (plain text; the view's `signature` filter escapes and links it); '' when none or the author is banned. */
  authorSignature: string
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

/** A thread page as text (the Archiver): visible posts only, bodies without images. */
export interface ThreadTextView {
  thread: ThreadRow
  boardPath: Board[]
  page: Page
  posts: Array<{ id: number, floorLabel: string, authorName: string, createdAt: number, editedAt: number | null, textHtml: string }>
}

/** A banned member's signature is hidden while the ban lasts (Discuz hides it with the 禁止发言 group). */
function signatureShown (p: PostRow, now: number): string {
  const banType = p.author_ban_type === 'post' || p.author_ban_type === 'visit' ? p.author_ban_type : null
  const banned = activeBan({ banType, banUntil: p.author_ban_until ?? null, banReason: null }, now) !== null
  return banned ? '' : (p.author_signature ?? '')
}

function postView (p: PostRow, viewer: AuthUser | null, html: string | null, now: number, boardId: number): PostView {
  const readable = p.status === 'visible' || (p.status === 'pending' && viewer !== null &&
    (isStaff(viewer) || viewer.id === p.author_id || (viewer.moderatedBoards?.includes(boardId) ?? false)))
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
    bodyHtml: readable ? html : null,
    canEdit: p.status !== 'deleted' && can(viewer, { action: 'edit-own', resource: { authorId: p.author_id } }, now),
    authorSignature: signatureShown(p, now)
  }
}

export function threads (ctx: ForumContext) {
  const { repo, readRepo } = ctx

  return {
    /** One page of a thread; `requestedPage` 'last' is the last page. */
    async thread (viewer: AuthUser | null, id: number, requestedPage: number | 'last', now: number): Promise<ThreadPageView> {
      const thread = await repo.findThread(id)
      const tree = await ctx.boardTree(now)
      if (thread === null || !ctx.mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
      const board = tree.get(thread.board_id)
      if (board === null) throw notFound(messages.threadNotFound)
      // Floors are never reused, so the page count follows the last floor handed out (deleted floors keep their place).
      const pageCount = Math.max(1, Math.ceil(thread.last_position / POSTS_PER_PAGE))
      const page = paginate(requestedPage === 'last' ? pageCount : requestedPage, POSTS_PER_PAGE, thread.last_position)
      const rows = await repo.postsInRange(id, (page.page - 1) * POSTS_PER_PAGE + 1, page.page * POSTS_PER_PAGE)
      const rendered = await storedRenders(repo, rows)
      const posts = rows.map((p) => postView(p, viewer, rendered.get(p.id)?.html ?? null, now, thread.board_id))
      const canModerate = can(viewer, { action: 'moderate-board', boardId: thread.board_id }, now)
      return {
        thread,
        board,
        boardPath: tree.path(board.id),
        posts,
        page,
        canReply: thread.status === 'visible' && (!thread.closed || canModerate) && can(viewer, { action: 'write' }, now),
        canModerate,
        // A 版主 moves only between boards they moderate (site staff: every board).
        moveTargets: canModerate ? tree.boardsForMove().filter((b) => can(viewer, { action: 'moderate-board', boardId: b.id }, now)) : []
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
      if (thread === null || !ctx.mayReadThread(viewer, thread, await ctx.boardTree(now))) return null
      if (floor === null) return { threadId, page: 1, postId: null }
      return { threadId, page: pageOfFloor(floor.position), postId: floor.id }
    },

    /** Two queries: the thread, then its page of floors; the board list comes from the tree. */
    async threadText (viewer: AuthUser | null, id: number, requestedPage: number, now: number, reads: BoardReadOptions = {}): Promise<ThreadTextView> {
      const thread = await readRepo.findThread(id)
      const tree = await ctx.boardTree(now, reads)
      if (thread === null || !ctx.mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
      const board = tree.get(thread.board_id)
      if (board === null) throw notFound(messages.threadNotFound)
      const page = paginate(requestedPage, POSTS_PER_PAGE, thread.last_position)
      const rows = await readRepo.postsInRange(id, (page.page - 1) * POSTS_PER_PAGE + 1, page.page * POSTS_PER_PAGE)
      const visible = rows.filter((p) => p.status === 'visible')
      const rendered = await storedRenders(repo, visible)
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
      return `> **${post.author_name}** 发表于 ${formatDateTime(post.created_at, await ctx.timeZone())}\n${quoted}\n\n`
    }
  }
}
