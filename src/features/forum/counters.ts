import type { Knex } from 'knex'
import type { ForumContext } from './context'
import type { PostRow, ThreadRow } from './repository'

/**
 * The forum's counters (board threads/posts/今日, thread replies, members' 帖子数): what a thread or
 * a reply leaving the visible set takes off them, and the full recount (forum:reconcile).
 */

/** Takes a whole visible thread off its board's and authors' counters. */
export async function uncountThread (ctx: ForumContext, trx: Knex.Transaction, thread: ThreadRow): Promise<void> {
  const byAuthor = await ctx.repo.visiblePostsByAuthor(trx, thread.id)
  const posts = byAuthor.reduce((sum, r) => sum + r.n, 0)
  await ctx.repo.uncountOnBoard(trx, thread.board_id, 1, posts)
  for (const r of byAuthor) await ctx.repo.uncountUserPosts(trx, r.author_id, r.n)
}

/** Takes one visible reply of a visible thread off the thread's, board's and author's counters. */
export async function uncountReply (ctx: ForumContext, trx: Knex.Transaction, thread: ThreadRow, post: Pick<PostRow, 'author_id'>): Promise<void> {
  await ctx.repo.uncountReply(trx, thread.id)
  await ctx.repo.uncountOnBoard(trx, thread.board_id, 0, 1)
  await ctx.repo.uncountUserPosts(trx, post.author_id, 1)
}

/** Moves a visible thread's thread and post counts from one board to another (the boards locked by the caller). */
export async function moveThreadCounts (ctx: ForumContext, trx: Knex.Transaction, thread: ThreadRow, targetBoardId: number): Promise<void> {
  const posts = (await ctx.repo.visiblePostsByAuthor(trx, thread.id)).reduce((sum, r) => sum + r.n, 0)
  await ctx.repo.uncountOnBoard(trx, thread.board_id, 1, posts)
  await ctx.repo.addToBoard(trx, targetBoardId, 1, posts)
}

/** Soft-deletes a reply with its counters and its thread's 最后发表 (the caller refreshes the board's). */
export async function deleteReplyIn (ctx: ForumContext, trx: Knex.Transaction, thread: ThreadRow, post: PostRow): Promise<void> {
  if (post.status === 'visible' && thread.status === 'visible') await uncountReply(ctx, trx, thread, post)
  await ctx.repo.updatePost(trx, post.id, { status: 'deleted' })
  await ctx.repo.refreshThreadLast(trx, thread.id)
}

export function counters (ctx: ForumContext) {
  return {
    /** Recomputes every board's, thread's and member's forum counters (forum:reconcile). */
    async reconcile (now: number): Promise<{ threads: number, boards: number, users: number }> {
      return await ctx.db.transaction(async (trx) => await ctx.repo.reconcile(trx, await ctx.today(now, trx)))
    }
  }
}
