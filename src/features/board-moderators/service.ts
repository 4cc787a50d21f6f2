import type { Knex } from 'knex'
import type { AuditEntry } from '../moderation'
import type { BoardModeratorRow, BoardModeratorsRepository } from './repository'

/** The messages an admin sees; a refused change changes nothing. */
export const boardModeratorMessages = {
  noUser: '没有这个用户名的会员',
  emptyName: '请填写要设为版主的用户名',
  already: '该会员已是本版块的版主',
  notModerator: '该会员不是本版块的版主',
  boardNotFound: '版块不存在',
  groupHasNone: '分区没有版主，请在版块上设置'
} as const

export interface BoardModeratorActor { id: number, now: number, requestId: string }

export type BoardModeratorResult = { ok: true, username: string } | { ok: false, message: string }

/** Granting and revoking 版主 (per-board moderators): the rules, each change and its audit row in one transaction. */
export function boardModeratorsService (deps: { db: Knex, repo: BoardModeratorsRepository, audit: (entry: AuditEntry, trx: Knex.Transaction) => Promise<void> }) {
  const { db, repo, audit } = deps
  return {
    boardsOf: async (userId: number): Promise<number[]> => await repo.boardsOf(userId),
    listForBoard: async (boardId: number): Promise<BoardModeratorRow[]> => await repo.listForBoard(boardId),
    listForBoards: async (boardIds: readonly number[]): Promise<Map<number, string[]>> => await repo.listForBoards(boardIds),

    async add (actor: BoardModeratorActor, boardId: number, rawUsername: string): Promise<BoardModeratorResult> {
      const username = rawUsername.trim()
      if (username === '') return { ok: false, message: boardModeratorMessages.emptyName }
      return await db.transaction(async (trx): Promise<BoardModeratorResult> => {
        // The board row is locked first: a concurrent delete of the board waits, and two admins adding the
        // same member meet the unique key in order (the second sees `exists`).
        const board = await repo.findBoard(boardId, trx)
        if (board === null) return { ok: false, message: boardModeratorMessages.boardNotFound }
        if (board.is_group) return { ok: false, message: boardModeratorMessages.groupHasNone }
        const user = await repo.findUserByUsername(username, trx)
        if (user === null) return { ok: false, message: boardModeratorMessages.noUser }
        if (await repo.exists(board.id, user.id, trx)) return { ok: false, message: boardModeratorMessages.already }
        await repo.insert(board.id, user.id, actor.now, trx)
        await audit({
          actorId: actor.id, action: 'board_moderator_add', targetType: 'board', targetId: board.id, targetUserId: user.id,
          before: null, after: { userId: user.id, username: user.username }, requestId: actor.requestId, at: actor.now
        }, trx)
        return { ok: true, username: user.username }
      })
    },

    async remove (actor: BoardModeratorActor, boardId: number, userId: number): Promise<BoardModeratorResult> {
      return await db.transaction(async (trx): Promise<BoardModeratorResult> => {
        const board = await repo.findBoard(boardId, trx)
        if (board === null) return { ok: false, message: boardModeratorMessages.boardNotFound }
        const current = (await repo.listForBoard(board.id, trx)).find((m) => m.user_id === userId)
        if (current === undefined || await repo.remove(board.id, userId, trx) === 0) return { ok: false, message: boardModeratorMessages.notModerator }
        await audit({
          actorId: actor.id, action: 'board_moderator_remove', targetType: 'board', targetId: board.id, targetUserId: userId,
          before: { userId, username: current.username }, after: null, requestId: actor.requestId, at: actor.now
        }, trx)
        return { ok: true, username: current.username }
      })
    }
  }
}

export type BoardModeratorsService = ReturnType<typeof boardModeratorsService>
