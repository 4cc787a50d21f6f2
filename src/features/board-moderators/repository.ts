import type { Knex } from 'knex'

/** A board's 版主 as the board page and the admin form show them. */
export interface BoardModeratorRow { user_id: number, username: string, created_at: number }

/**
 * The board_moderators queries. Usernames come from a join on users (read only, the name shown next
 * to the grant): copying the name into this table would go stale on a rename.
 */
export function boardModeratorsRepository (db: Knex) {
  return {
    /** The boards a member is 版主 of: the auth lookup's query, on the unique (user_id, board_id) index. */
    async boardsOf (userId: number): Promise<number[]> {
      const rows = await db('board_moderators').where({ user_id: userId }).select<Array<{ board_id: number }>>('board_id')
      return rows.map((r) => Number(r.board_id))
    },

    async listForBoard (boardId: number, trx?: Knex.Transaction): Promise<BoardModeratorRow[]> {
      const rows = await (trx ?? db)('board_moderators as bm').join('users as u', 'u.id', 'bm.user_id')
        .where('bm.board_id', boardId).orderBy('bm.id').select<BoardModeratorRow[]>('bm.user_id', 'u.username', 'bm.created_at')
      return rows.map((r) => ({ user_id: Number(r.user_id), username: r.username, created_at: Number(r.created_at) }))
    },

    /** Several boards' 版主 in one query (a forum index row per board). */
    async listForBoards (boardIds: readonly number[]): Promise<Map<number, string[]>> {
      const byBoard = new Map<number, string[]>()
      if (boardIds.length === 0) return byBoard
      const rows = await db('board_moderators as bm').join('users as u', 'u.id', 'bm.user_id')
        .whereIn('bm.board_id', boardIds).orderBy('bm.id').select<Array<{ board_id: number, username: string }>>('bm.board_id', 'u.username')
      for (const r of rows) {
        const id = Number(r.board_id)
        byBoard.set(id, [...(byBoard.get(id) ?? []), r.username])
      }
      return byBoard
    },

    async findUserByUsername (username: string, trx: Knex.Transaction): Promise<{ id: number, username: string } | null> {
      const row = await trx('users').where({ username }).first<{ id: number, username: string } | undefined>('id', 'username')
      return row === undefined ? null : { id: Number(row.id), username: row.username }
    },

    async findBoard (boardId: number, trx: Knex.Transaction): Promise<{ id: number, name: string, is_group: boolean } | null> {
      const row = await trx('boards').where({ id: boardId }).forUpdate().first<{ id: number, name: string, is_group: number | boolean } | undefined>('id', 'name', 'is_group')
      return row === undefined ? null : { id: Number(row.id), name: row.name, is_group: Boolean(row.is_group) }
    },

    async exists (boardId: number, userId: number, trx: Knex.Transaction): Promise<boolean> {
      return (await trx('board_moderators').where({ board_id: boardId, user_id: userId }).first('id')) !== undefined
    },

    async insert (boardId: number, userId: number, at: number, trx: Knex.Transaction): Promise<void> {
      await trx('board_moderators').insert({ board_id: boardId, user_id: userId, created_at: at })
    },

    /** Many grants at once (the Discuz import): a pair already granted stays as it is. */
    async insertMany (grants: ReadonlyArray<{ boardId: number, userId: number, at: number }>, trx: Knex.Transaction): Promise<void> {
      for (let i = 0; i < grants.length; i += 500) {
        await trx('board_moderators').insert(grants.slice(i, i + 500).map((g) => ({ board_id: g.boardId, user_id: g.userId, created_at: g.at })))
          .onConflict(['user_id', 'board_id']).ignore()
      }
    },

    async remove (boardId: number, userId: number, trx: Knex.Transaction): Promise<number> {
      return await trx('board_moderators').where({ board_id: boardId, user_id: userId }).delete()
    }
  }
}

export type BoardModeratorsRepository = ReturnType<typeof boardModeratorsRepository>
