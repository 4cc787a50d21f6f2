import { badRequest, notFound } from '../../lib/http-errors'
import { paginate, type Page } from '../../lib/pagination'
import type { AuthUser } from '../../lib/permissions'
import { boardTotals, type Board } from './boards'
import type { BoardReadOptions, ForumContext } from './context'
import type { LatestThreadRow, ThreadRow } from './repository'
import { LATEST_THREADS, messages, THREADS_PER_PAGE } from './rules'

/** The lists: the forum index, a board's threads, the home page's latest threads, the sitemap's threads. */

export function listing (ctx: ForumContext) {
  const { readRepo } = ctx

  return {
    /** The forum index: groups with their boards, minus what the reader may not see. */
    async index (viewer: AuthUser | null, now: number, reads: BoardReadOptions = {}): Promise<{ groups: Board[], totals: { threads: number, posts: number, today: number } }> {
      const tree = await ctx.boardTree(now, reads)
      const groups = tree.prunedFor(viewer)
      return { groups, totals: boardTotals(groups) }
    },

    async board (viewer: AuthUser | null, id: number, requestedPage: number, now: number, reads: BoardReadOptions = {}): Promise<{ board: Board, path: Board[], subBoards: Board[], threads: ThreadRow[], page: Page }> {
      const tree = await ctx.boardTree(now, reads)
      const board = tree.get(id)
      if (board === null || board.isGroup || !tree.visibleTo(viewer, id)) throw notFound(messages.boardNotFound)
      const page = paginate(requestedPage, THREADS_PER_PAGE, board.threadCount)
      const threads = await readRepo.boardThreads(id, page.offset, page.perPage)
      return { board, path: tree.path(id), subBoards: board.children.filter((b) => tree.visibleTo(viewer, b.id)), threads, page }
    },

    /** A board a member may open a thread in (for the new-thread form). */
    async boardForPosting (viewer: AuthUser, id: number, now: number): Promise<{ board: Board, path: Board[] }> {
      const tree = await ctx.boardTree(now)
      const board = tree.get(id)
      if (board === null || !tree.visibleTo(viewer, id)) throw notFound(messages.boardNotFound)
      if (board.isGroup) throw badRequest(messages.groupNoThreads)
      return { board, path: tree.path(id) }
    },

    async latestThreads (viewer: AuthUser | null, now: number, limit = LATEST_THREADS): Promise<LatestThreadRow[]> {
      const tree = await ctx.boardTree(now)
      return await readRepo.latestThreads(tree.visibleBoardIds(viewer), limit)
    },

    /** The threads a guest may read, for the sitemap. */
    guestThreads: {
      count: async (): Promise<number> => await readRepo.guestThreadCount(),
      list: async (offset: number, limit: number): Promise<Array<{ id: number, lastPostAt: number }>> =>
        (await readRepo.guestThreadPage(offset, limit)).map((t) => ({ id: t.id, lastPostAt: t.last_post_at }))
    }
  }
}
