import type { Knex } from 'knex'
import { badRequest, forbidden, notFound } from '../../lib/http-errors'
import { can } from '../../lib/permissions'
import type { BoardTree } from './boards'
import type { ForumContext, ModerationContext } from './context'
import { moveThreadCounts, uncountThread } from './counters'
import type { ThreadRow } from './repository'
import { messages } from './rules'

/** A moderator's actions on a whole thread: pin, close, move, delete. */

type ThreadChange = (trx: Knex.Transaction, thread: ThreadRow, tree: BoardTree) => Promise<{ action: string, before: unknown, after: unknown }>

/** Deletes a thread (soft) with its counters; audited here unless the caller audits it (moderateThread). */
export async function deleteThreadIn (ctx: ForumContext, trx: Knex.Transaction, thread: ThreadRow, mc: ModerationContext, auditHere = true): Promise<void> {
  const { repo, audit } = ctx
  if (thread.status === 'visible') await uncountThread(ctx, trx, thread)
  await repo.updateThread(trx, thread.id, { status: 'deleted' })
  await repo.refreshBoardLast(trx, thread.board_id)
  // Audited when a moderator of its board deleted it (a 楼主 deleting their own thread is not a moderation).
  if (auditHere && can(mc.actor, { action: 'moderate-board', boardId: thread.board_id }, mc.now)) {
    await audit.record({
      actorId: mc.actor.id, action: 'thread_delete', targetType: 'thread', targetId: thread.id, targetUserId: thread.author_id,
      reason: mc.reason, before: { status: thread.status }, after: { status: 'deleted' }, requestId: mc.requestId, at: mc.now
    }, trx)
  }
}

export function threadActions (ctx: ForumContext) {
  const { db, repo, audit } = ctx

  /** A moderator action on a thread: permission, row lock, the change and its audit row in one transaction. */
  async function moderateThread (mc: ModerationContext, threadId: number, change: ThreadChange): Promise<void> {
    if (!can(mc.actor, { action: 'moderate-any-board' }, mc.now)) throw forbidden()
    await db.transaction(async (trx) => {
      const { thread, tree } = await ctx.lockReadableThread(trx, mc.actor, threadId, mc.now)
      if (thread.status === 'deleted') throw notFound(messages.threadNotFound)
      // A board's 版主 acts in their boards only: checked on the locked row, so the board is the thread's own.
      if (!can(mc.actor, { action: 'moderate-board', boardId: thread.board_id }, mc.now)) throw forbidden()
      const entry = await change(trx, thread, tree)
      await audit.record({
        actorId: mc.actor.id, action: entry.action, targetType: 'thread', targetId: thread.id, targetUserId: thread.author_id,
        reason: mc.reason, before: entry.before, after: entry.after, requestId: mc.requestId, at: mc.now
      }, trx)
    })
  }

  return {
    async setPinned (mc: ModerationContext, threadId: number, pinned: boolean): Promise<void> {
      await moderateThread(mc, threadId, async (trx, thread) => {
        await repo.updateThread(trx, thread.id, { pinned })
        return { action: 'thread_pin', before: { pinned: Boolean(thread.pinned) }, after: { pinned } }
      })
    },

    async setClosed (mc: ModerationContext, threadId: number, closed: boolean): Promise<void> {
      await moderateThread(mc, threadId, async (trx, thread) => {
        await repo.updateThread(trx, thread.id, { closed })
        return { action: 'thread_close', before: { closed: Boolean(thread.closed) }, after: { closed } }
      })
    },

    /** Moves a thread with its counters: off the old board, onto the new one, both boards' 最后发表 refreshed. */
    async move (mc: ModerationContext, threadId: number, targetBoardId: number): Promise<void> {
      await moderateThread(mc, threadId, async (trx, thread, tree) => {
        const target = tree.get(targetBoardId)
        if (target === null || target.isGroup) throw badRequest(messages.moveBadBoard)
        if (target.id === thread.board_id) throw badRequest(messages.moveSameBoard)
        // A move needs both boards: a 版主 cannot push a thread into a board they do not moderate.
        if (!can(mc.actor, { action: 'moderate-board', boardId: target.id }, mc.now)) throw forbidden()
        await repo.lockBoards(trx, [thread.board_id, target.id])
        if (thread.status === 'visible') await moveThreadCounts(ctx, trx, thread, target.id)
        await repo.updateThread(trx, thread.id, { board_id: target.id })
        await repo.refreshBoardLast(trx, thread.board_id)
        await repo.refreshBoardLast(trx, target.id)
        return { action: 'thread_move', before: { boardId: thread.board_id }, after: { boardId: target.id } }
      })
    },

    async deleteThread (mc: ModerationContext, threadId: number): Promise<{ boardId: number }> {
      let boardId = 0
      await moderateThread(mc, threadId, async (trx, thread) => {
        boardId = thread.board_id
        await deleteThreadIn(ctx, trx, thread, mc, false)
        if (thread.author_id !== mc.actor.id) {
          await ctx.notices.notify(trx, { to: thread.author_id, kind: 'removed', actor: null, target: { type: 'thread', id: thread.id }, title: thread.title, url: `/thread/${thread.id}` }, mc.now)
        }
        return { action: 'thread_delete', before: { status: thread.status }, after: { status: 'deleted' } }
      })
      return { boardId }
    },
  }
}
