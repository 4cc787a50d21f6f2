import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AuthUserSource } from '../../plugins/auth'
import { boardModeratorsRepository } from './repository'
import { boardModeratorsService, type BoardModeratorsService } from './service'
import routes from './routes'

export { MODERATOR_NOTICES } from './routes'
export type { BoardModeratorsService } from './service'
export type { BoardModeratorRow } from './repository'

declare module 'fastify' {
  interface FastifyInstance {
    /** 版主 of single boards (per-board moderators): grants, the lists the pages show. */
    boardModerators: BoardModeratorsService
  }
}

/**
 * Adds a member's 版主 boards to the auth lookup (app.ts wraps memberAuthSource with it), so `can()`
 * answers 'moderate-board' synchronously from request.user. Site moderators and admins moderate every
 * board already: their lookup skips the query, so the extra cost is one indexed read per request of a
 * logged-in member or editor.
 */
export function withModeratedBoards (source: AuthUserSource, db: Knex): AuthUserSource {
  const repo = boardModeratorsRepository(db)
  return {
    findAuthUser: async (id) => {
      // Both at once, as withMemberBlocks does (a staff member's list is not needed and dropped).
      const [user, moderatedBoards] = await Promise.all([source.findAuthUser(id), repo.boardsOf(id)])
      if (user === null || user.role === 'admin' || user.role === 'moderator') return user
      return { ...user, moderatedBoards }
    }
  }
}

/**
 * 版主 granted in bulk inside the caller's transaction (the Discuz importer's forum_moderator step): the
 * same rows `add` writes, without its per-grant checks and audit row, so the caller must pass only
 * imported members and boards that are not groups (分区 have no 版主), as `add` would insist.
 */
export async function grantBoardModeratorsInBulk (trx: Knex.Transaction, grants: ReadonlyArray<{ boardId: number, userId: number, at: number }>): Promise<void> {
  await boardModeratorsRepository(trx).insertMany(grants, trx)
}

export default fp(async (app) => {
  const service = boardModeratorsService({ db: app.db, repo: boardModeratorsRepository(app.db), audit: app.adminAudit })
  app.decorate('boardModerators', service)
  await app.register(routes, { service })
}, { name: 'board-moderators', dependencies: ['db', 'clock', 'auth', 'view', 'security', 'site-admin'] })
