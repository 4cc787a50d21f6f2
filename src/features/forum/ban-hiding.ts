import type { Knex } from 'knex'
import type { ForumContext } from './context'
import { deleteReplyIn, uncountThread } from './counters'
import { HIDE_RECENT_SECONDS } from './rules'

/** What a ban does in the forum (the moderation feature's ban hook, wired in index.ts). */

export function banHiding (ctx: ForumContext) {
  const { repo } = ctx

  return {
    /**
     * A ban hook: when the moderator asks to hide a banned member's recent content, their threads
     * and replies of the last HIDE_RECENT_SECONDS are soft-deleted with every counter following,
     * inside the ban's transaction (the ban's audit row records the numbers).
     */
    async hideRecentContent (trx: Knex.Transaction, authorId: number, at: number, since = at - HIDE_RECENT_SECONDS): Promise<{ hiddenThreads: number, hiddenPosts: number }> {
      // `since` 0: everything they wrote (删除垃圾用户 in 用户管理).
      const { threads, replies } = await repo.recentContentOf(trx, authorId, since)
      const touchedBoards = new Set<number>()
      for (const thread of threads) {
        if (thread.status === 'visible') await uncountThread(ctx, trx, thread)
        await repo.updateThread(trx, thread.id, { status: 'deleted' })
        touchedBoards.add(thread.board_id)
      }
      const deletedThreads = new Set(threads.map((th) => th.id))
      let hiddenPosts = 0
      for (const post of replies) {
        if (deletedThreads.has(post.thread_id)) continue
        const thread = await repo.findThread(post.thread_id, trx)
        if (thread === null || thread.status === 'deleted') continue
        await deleteReplyIn(ctx, trx, thread, post)
        touchedBoards.add(thread.board_id)
        hiddenPosts++
      }
      for (const boardId of touchedBoards) await repo.refreshBoardLast(trx, boardId)
      return { hiddenThreads: threads.length, hiddenPosts }
    }
  }
}
