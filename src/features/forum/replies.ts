import { transactionWithRetry } from '../../db/knex'
import type { Knex } from 'knex'
import { forbidden, notFound } from '../../lib/http-errors'
import { can, type AuthUser } from '../../lib/permissions'
import type { Board } from './boards'
import type { ForumContext } from './context'
import { uncountReply, uncountThread } from './counters'
import { noticeOfVisiblePost } from './notices'
import { renderForStorage } from './renders'
import type { PostRow, ThreadRow } from './repository'
import { cleanBody, cleanTitle, messages, pageOfFloor, splitCheckedThread } from './rules'

/** Replies and edits: the next floor of a thread, and a post changed by its author or staff. */

export function replies (ctx: ForumContext) {
  const { db, repo } = ctx

  /**
   * A member's visible post that an edit sends back to review leaves the counters until approved:
   * 楼主 takes its whole thread off them (the thread goes to review too), a reply only itself.
   */
  async function sendBackToReview (trx: Knex.Transaction, thread: ThreadRow, post: PostRow): Promise<void> {
    if (post.position === 1) {
      if (thread.status === 'visible') await uncountThread(ctx, trx, thread)
      await repo.updateThread(trx, thread.id, { status: 'pending' })
    } else if (thread.status === 'visible') {
      await uncountReply(ctx, trx, thread, post)
    }
  }

  return {
    /** A reply: the next floor of the thread, taken race-free inside the transaction. */
    async reply (user: AuthUser, threadId: number, input: { body: unknown }, now: number): Promise<{ postId: number, position: number, page: number, status: 'visible' | 'pending' }> {
      const body = cleanBody(input.body)
      if (!can(user, { action: 'write' }, now)) throw forbidden()
      const sizes = await ctx.imageSizes(body)
      return await transactionWithRetry(db, async (trx) => {
        const { thread } = await ctx.lockReadableThread(trx, user, threadId, now)
        if (thread.status !== 'visible') throw notFound(messages.threadNotFound)
        if (Boolean(thread.closed) && !can(user, { action: 'moderate-board', boardId: thread.board_id }, now)) throw forbidden(messages.closed)
        const checked = await ctx.antiAbuse.checkContribution({ user, text: body, now, trx, noun: '回复' })
        const position = await repo.takeNextPosition(trx, threadId)
        const postId = await repo.insertPost(trx, { threadId, authorId: user.id, position, body: checked.text, rendered: renderForStorage(checked.text, sizes), status: checked.status, at: now })
        if (checked.status === 'visible') {
          await repo.countVisiblePost(trx, { boardId: thread.board_id, threadId, postId, authorId: user.id, authorName: user.username, at: now, today: await ctx.today(now, trx), opensThread: false })
          await noticeOfVisiblePost(ctx, trx, { id: postId, position, body: checked.text, author: user }, thread, now)
        }
        return { postId, position, page: pageOfFloor(position), status: checked.status }
      })
    },

    /** The post and its thread, for the edit form (author or staff only). */
    async postForEdit (user: AuthUser, postId: number, now: number): Promise<{ post: PostRow, thread: ThreadRow, boardPath: Board[] }> {
      const post = await repo.findPost(postId)
      if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
      const thread = await repo.findThread(post.thread_id)
      const tree = await ctx.boardTree(now)
      if (thread === null || !ctx.mayReadThread(user, thread, tree)) throw notFound(messages.postNotFound)
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
      const sizes = await ctx.imageSizes(body)
      return await transactionWithRetry(db, async (trx) => {
        const post = await repo.findPost(postId, trx)
        if (post === null || post.status === 'deleted') throw notFound(messages.postNotFound)
        const { thread } = await ctx.lockReadableThread(trx, user, post.thread_id, now)
        if (!can(user, { action: 'edit-own', resource: { authorId: post.author_id } }, now)) throw forbidden()
        const title = post.position === 1 && input.title !== undefined ? cleanTitle(input.title) : null
        // The word list over the edit, inside this transaction (no flood slot for an edit).
        const checked = await ctx.antiAbuse.checkEdit({ user, text: title === null ? body : `${title}\n${body}`, now, trx, noun: '帖子' })
        const final = title === null ? { title: null, body: checked.text } : splitCheckedThread(checked.text, title, body)
        let status = post.status
        if (checked.status === 'pending' && post.status === 'visible') {
          status = 'pending'
          await sendBackToReview(trx, thread, post)
        }
        if (final.title !== null) await repo.updateThread(trx, post.thread_id, { title: final.title })
        await repo.updatePost(trx, postId, { body: final.body, rendered: renderForStorage(final.body, sizes), edited_at: now, status })
        if (status !== post.status) {
          await repo.refreshThreadLast(trx, thread.id)
          await repo.refreshBoardLast(trx, thread.board_id)
        }
        return { threadId: post.thread_id, position: post.position, status }
      })
    }
  }
}
