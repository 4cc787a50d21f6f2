import type { Knex } from 'knex'
import { badRequest, forbidden, notFound } from '../../lib/http-errors'
import { paginate, type Page } from '../../lib/pagination'
import { can, type AuthUser } from '../../lib/permissions'
import type { ForumContext, ModerationContext } from './context'
import { deleteReplyIn } from './counters'
import { deleteThreadIn } from './thread-actions'
import type { PostRow } from './repository'
import { noticeOfVisiblePost, postUrl } from './notices'
import { floorLabel, messages, REVIEW_PAGE_SIZE } from './rules'

/**
 * Moderation in the forum: approving and deleting posts, the review queue, and (thread-actions.ts)
 * pinning, closing, moving and deleting threads; a ban's hiding of recent content is ban-hiding.ts. Each staff
 * action writes its audit row in the transaction of the change.
 */

export function forumModeration (ctx: ForumContext) {
  const { db, repo, audit } = ctx

  /** A moderator removed someone's post: they are told (no link to the floor: it shows 该帖已被删除). */
  const noticeOfRemoval = async (trx: Knex.Transaction, post: PostRow, title: string, now: number): Promise<void> => {
    await ctx.notices.notify(trx, { to: post.author_id, kind: 'removed', actor: null, target: { type: 'thread', id: post.thread_id }, title, url: `/thread/${post.thread_id}` }, now)
  }

  return {
    /** A moderator approves a post waiting for review (楼主 approves its thread too); it joins the counters now. */
    async approvePost (mc: ModerationContext, postId: number): Promise<{ threadId: number, position: number }> {
      if (!can(mc.actor, { action: 'moderate-any-board' }, mc.now)) throw forbidden()
      return await db.transaction(async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status !== 'pending') throw notFound(messages.postNotFound)
        const { thread } = await ctx.lockReadableThread(trx, mc.actor, post.thread_id, mc.now)
        if (!can(mc.actor, { action: 'moderate-board', boardId: thread.board_id }, mc.now)) throw forbidden()
        const opensThread = post.position === 1
        if (!opensThread && thread.status !== 'visible') throw badRequest(messages.threadNotApproved)
        await repo.updatePost(trx, post.id, { status: 'visible' })
        if (opensThread) await repo.updateThread(trx, thread.id, { status: 'visible' })
        await repo.countVisiblePost(trx, {
          boardId: thread.board_id, threadId: thread.id, postId: post.id, authorId: post.author_id, authorName: post.author_name, at: post.created_at, today: await ctx.today(mc.now, trx), opensThread
        })
        // The approved post may be older than the newest ones: take the "last post" columns from the data.
        await repo.refreshThreadLast(trx, thread.id)
        await repo.refreshBoardLast(trx, thread.board_id)
        // The author learns of the approval; those the post quotes, replies to or mentions learn of it now
        // that it is visible (nobody was told while it waited).
        const title = thread.title
        await ctx.notices.notify(trx, { to: post.author_id, kind: 'approved', actor: null, target: { type: 'thread', id: thread.id }, title, url: postUrl(thread.id, post.id, post.position) }, mc.now)
        await noticeOfVisiblePost(ctx, trx, { id: post.id, position: post.position, body: post.body, author: { id: post.author_id, username: post.author_name } }, thread, mc.now)
        await audit.record({
          actorId: mc.actor.id, action: 'post_approve', targetType: 'post', targetId: post.id, targetUserId: post.author_id,
          reason: mc.reason, before: { status: 'pending' }, after: { status: 'visible' }, requestId: mc.requestId, at: mc.now
        }, trx)
        return { threadId: thread.id, position: post.position }
      })
    },

    /**
     * Soft-deletes a post (its floor stays, shown as 该帖已被删除). Floor 1 deletes the whole thread:
     * its author may do that only while nobody has replied. Staff deletions are audited.
     */
    async deletePost (mc: ModerationContext, postId: number): Promise<{ threadId: number, threadDeleted: boolean, boardId: number, position: number }> {
      const { actor, now } = mc
      return await db.transaction(async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
        const { thread } = await ctx.lockReadableThread(trx, actor, post.thread_id, now)
        // The board's moderators (site staff, or its 版主) delete any floor; others only their own.
        const staff = can(actor, { action: 'moderate-board', boardId: thread.board_id }, now)
        if (!staff && !can(actor, { action: 'edit-own', resource: { authorId: post.author_id } }, now)) throw forbidden()
        if (post.position === 1) {
          if (!staff && thread.reply_count > 0) throw forbidden(messages.firstPostHasReplies)
          await deleteThreadIn(ctx, trx, thread, mc)
          if (staff && post.author_id !== actor.id) await noticeOfRemoval(trx, post, thread.title, now)
          return { threadId: thread.id, threadDeleted: true, boardId: thread.board_id, position: 1 }
        }
        await deleteReplyIn(ctx, trx, thread, post)
        await repo.refreshBoardLast(trx, thread.board_id)
        if (staff) {
          if (post.author_id !== actor.id) await noticeOfRemoval(trx, post, thread.title, now)
          await audit.record({
            actorId: actor.id, action: 'post_delete', targetType: 'post', targetId: postId, targetUserId: post.author_id,
            reason: mc.reason, before: { status: post.status, threadId: thread.id, position: post.position }, after: { status: 'deleted' }, requestId: mc.requestId, at: now
          }, trx)
        }
        return { threadId: thread.id, threadDeleted: false, boardId: thread.board_id, position: post.position }
      })
    },

    /** The review queue: posts (and new threads' 楼主) waiting for a moderator. */
    async reviewQueue (viewer: AuthUser, requestedPage: number, now: number): Promise<{ posts: Array<PostRow & { thread_title: string, board_id: number, board_name: string, floorLabel: string }>, page: Page }> {
      if (!can(viewer, { action: 'moderate' }, now)) throw forbidden()
      const page = paginate(requestedPage, REVIEW_PAGE_SIZE, await repo.countPending())
      const tree = await ctx.boardTree(now)
      const rows = await repo.pendingPosts(page.offset, page.perPage)
      return { posts: rows.map((r) => ({ ...r, board_name: tree.get(r.board_id)?.name ?? '', floorLabel: floorLabel(r.position) })), page }
    }
  }
}
