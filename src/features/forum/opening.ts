import { transactionWithRetry } from '../../db/knex'
import { badRequest, forbidden, notFound } from '../../lib/http-errors'
import { can, type AuthUser } from '../../lib/permissions'
import type { ForumContext } from './context'
import { renderForStorage } from './renders'
import { cleanBody, cleanTitle, messages, splitCheckedThread } from './rules'
import { noticeOfVisiblePost } from './notices'

/** Opening a thread. */

export function opening (ctx: ForumContext) {
  const { db, repo } = ctx

  return {
    /** Opens a thread: thread row, 楼主 post, counters, all in one transaction with the anti-abuse check. */
    async createThread (user: AuthUser, boardId: number, input: { title: unknown, body: unknown, typeLabel?: unknown }, now: number): Promise<{ threadId: number, postId: number, status: 'visible' | 'pending' }> {
      const title = cleanTitle(input.title)
      const body = cleanBody(input.body)
      if (!can(user, { action: 'write' }, now)) throw forbidden()
      const sizes = await ctx.imageSizes(body)
      return await transactionWithRetry(db, async (trx) => {
        // The board row first: inserting the thread takes a shared lock on it (foreign key), and two
        // such shared locks both upgrading for the counter UPDATE would deadlock on InnoDB.
        await repo.lockBoards(trx, [boardId])
        const tree = await ctx.boardTree(now, { trx })
        const board = tree.get(boardId)
        if (board === null || !tree.visibleTo(user, boardId)) throw notFound(messages.boardNotFound)
        if (board.isGroup) throw badRequest(messages.groupNoThreads)
        // 主题分类: one of the board's labels or none; a label the board does not offer (removed since
        // the form was shown, or typed by hand) is refused rather than stored.
        const typeLabel = typeof input.typeLabel === 'string' ? input.typeLabel : ''
        if (typeLabel !== '' && !board.threadTypes.includes(typeLabel)) throw badRequest(messages.threadTypeUnknown)
        const checked = await ctx.antiAbuse.checkContribution({ user, text: `${title}\n${body}`, now, trx, noun: '帖子' })
        const final = splitCheckedThread(checked.text, title, body)
        const threadId = await repo.insertThread(trx, { boardId, authorId: user.id, authorName: user.username, title: final.title, typeLabel, status: checked.status, at: now })
        const postId = await repo.insertPost(trx, { threadId, authorId: user.id, position: 1, body: final.body, rendered: renderForStorage(final.body, sizes), status: checked.status, at: now })
        if (checked.status === 'visible') {
          await repo.countVisiblePost(trx, { boardId, threadId, postId, authorId: user.id, authorName: user.username, at: now, today: await ctx.today(now, trx), opensThread: true })
          await noticeOfVisiblePost(ctx, trx, { id: postId, position: 1, body: final.body, author: user }, { id: threadId, title: final.title, author_id: user.id }, now)
        }
        return { threadId, postId, status: checked.status }
      })
    }
  }
}
