import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import type { Knex } from 'knex'
import { commentsRepository } from './repository'
import commentsRoutes from './routes'
import { commentsService, type CommentsService } from './service'

/**
 * 快速评论 under portal articles, built once and shared as `app.comments`: the article page's
 * comments section, the Archiver's text list and the profile's latest comments all read through it.
 * The articles' comment_count is moved through `app.portal`, in the same transaction as each comment.
 */

/**
 * Numbers the visible comments of `articleIds` (all articles when absent) by date: for writers that insert
 * comment rows in bulk outside the service (seed:bulk, the Discuz importer, tests' fixtures).
 */
export async function numberCommentPositions (db: Knex, articleIds?: readonly number[], trx?: Knex.Transaction): Promise<void> {
  await commentsRepository(db).renumberAll(articleIds, trx)
}
export type { ArchiverComment, ArchiverCommentPage, CommentsService, CommentView } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    comments: CommentsService
  }
}

export default fp<{ config: AppConfig }>(async (app, opts) => {
  app.decorate('comments', commentsService(app.db, {
    antiAbuse: app.antiAbuse,
    audit: app.moderation.audit,
    settings: app.settings,
    portal: app.portal,
    dbRead: app.dbRead,
    notifications: app.notifications
  }))
  await app.register(commentsRoutes, opts)
}, { name: 'comments', dependencies: ['portal', 'settings', 'moderation', 'antiabuse', 'members', 'captcha', 'notifications', 'guest-pages'] })
