import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AuthUserSource } from '../../plugins/auth'
import { memberBlocks, type MemberBlocks } from './blocks'
import routes from './routes'
import { notificationsService, type NotificationsService } from './service'

export type { NotificationsService, NotificationKind, NotifyInput, ContributionNotices, Actor, NotificationGroup } from './service'
export { DIGEST_EVERY_SECONDS } from './service'
export type { MemberBlocks } from './blocks'

declare module 'fastify' {
  interface FastifyInstance {
    /** 提醒: notify(trx, …) and contribution(trx, …) inside the event's transaction; the /notifications pages. */
    notifications: NotificationsService
    /** 屏蔽用户: block/unblock, the list, isBlocked (service in blocks.ts). */
    memberBlocks: MemberBlocks
  }
}

/**
 * The auth lookup with the member's blocked ids (for collapsing their posts in any view), wrapped like
 * withModeratedBoards: one primary-key range read per member request, none for guests.
 */
export function withMemberBlocks (source: AuthUserSource, db: Knex): AuthUserSource {
  const blocks = memberBlocks(db)
  return {
    findAuthUser: async (id) => {
      // Both at once: under load each sequential round trip to MariaDB waits a whole turn of a busy
      // event loop (the member pages' p99, docs/benchmarks.md). A missing member's list is dropped.
      const [user, blockedIds] = await Promise.all([source.findAuthUser(id), blocks.blockedIds(id)])
      if (user === null) return null
      return blockedIds.length === 0 ? user : { ...user, blockedIds }
    }
  }
}

/**
 * 提醒 and 屏蔽用户. Registered before the features that tell of events (moderation's bans, comments,
 * reactions, the forum): they call app.notifications inside their own transactions.
 */
export default fp(async (app) => {
  const blocks = memberBlocks(app.db)
  app.decorate('memberBlocks', blocks)
  app.decorate('notifications', notificationsService({ db: app.db, isBlocked: async (trx, userId, actorId) => await blocks.isBlocked(trx, userId, actorId) }))
  await app.register(routes)
}, { name: 'notifications', dependencies: ['db', 'clock', 'auth', 'view', 'security'] })
