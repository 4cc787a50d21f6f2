import type { Knex } from 'knex'
import type { BoardTree } from './boards'
import { banHiding } from './ban-hiding'
import { boardsAdmin } from './boards-admin'
import { byAuthor } from './by-author'
import { counters } from './counters'
import { forumContext, type BoardReadOptions, type ForumServiceOptions } from './context'
import { listing } from './listing'
import { forumModeration } from './moderation'
import { opening } from './opening'
import { renderStale } from './renders'
import { replies } from './replies'
import { threadActions } from './thread-actions'
import { threads } from './threads'

/**
 * Forum rules: who sees which board and thread, posting, floors, counters, moderation. No Fastify
 * types here. One file per use case (NodeBB's src/posts/ style), composed here into one service:
 * listing.ts (index, boards, latest threads), threads.ts (read, find a floor, quote), opening.ts
 * (open a thread), replies.ts (reply, edit), moderation.ts (approve, delete posts, the review
 * queue), thread-actions.ts (pin, close, move, delete threads), ban-hiding.ts (a ban's hiding of
 * recent content), by-author.ts (a member's threads and replies for 用户管理), counters.ts (what leaves the counters, forum:reconcile), renders.ts (stored
 * Markdown renders), with what they share in context.ts and the rules for input in rules.ts.
 */

export { messages, THREADS_PER_PAGE, POSTS_PER_PAGE, TITLE_MAX_LENGTH, BODY_MAX_LENGTH, LATEST_THREADS, REVIEW_PAGE_SIZE, HIDE_RECENT_SECONDS, floorLabel, cleanTitle, cleanBody } from './rules'
export { BoardTree, type Board } from './boards'
export { renderForStorage } from './renders'
export type { ForumServiceOptions, ModerationContext, BoardReadOptions } from './context'
export type { PostView, ThreadPageView, ThreadTextView } from './threads'

export function forumService (options: ForumServiceOptions) {
  const ctx = forumContext(options)
  return {
    /** The board tree: fresh, through a transaction, or (reads.boardsMaxAgeMs) at most that old. */
    boardTree: async (now: number, trx?: Knex.Transaction, reads: BoardReadOptions = {}): Promise<BoardTree> => await ctx.boardTree(now, { trx, ...reads }),
    ...listing(ctx),
    ...threads(ctx),
    ...opening(ctx),
    ...replies(ctx),
    ...forumModeration(ctx),
    ...threadActions(ctx),
    ...banHiding(ctx),
    ...byAuthor(ctx),
    ...counters(ctx),
    /** 论坛版块 administration (boards-admin.ts). */
    boardsAdmin: boardsAdmin(ctx.db, options.searchIndex),
    /** Renders every post whose stored render is missing or older than RENDERER_VERSION (forum:render). */
    renderStale: async (batchSize?: number): Promise<number> => await renderStale(ctx.repo, batchSize)
  }
}

export type ForumService = ReturnType<typeof forumService>
