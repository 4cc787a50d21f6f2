import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { HttpError } from '../../lib/http-errors'
import { ipHash } from '../../lib/visitor'
import { hashPassword, validatePassword } from '../members'
import { peopleService, type PeopleService } from './service'
import routes from './routes'

/**
 * 用户管理 (the admin centre's member pages): search, a member's page, role, password reset, lock,
 * delete a spammer. Built over `app.memberAdmin` (account queries), `app.comments` (IP hash search),
 * `app.moderation` (the permanent ban whose hooks hide content) and `app.adminAudit`. Also the rule
 * that a member whose password an admin reset sees only /settings until they set a new one.
 */

declare module 'fastify' {
  interface FastifyInstance {
    people: PeopleService
  }
}

// What a member who must change their password may still reach: the settings form, login/logout, assets.
const MUST_CHANGE_ALLOWED = /^\/(?:(?:settings|login|logout)(?:\?|$)|static\/)/

export default fp<{ config: AppConfig }>(async (app, opts) => {
  const service = peopleService({
    db: app.db,
    clock: app.clock,
    members: app.memberAdmin,
    audit: app.adminAudit,
    authorsByIpHash: app.comments.authorsByIpHash,
    ipHashOf: (ip) => ipHash(opts.config.sessionSecret, ip),
    hashPassword: async (password) => await hashPassword(password, opts.config.bcryptCost),
    validatePassword,
    banForever: async (actor, userId, reason, requestId) => await app.moderation.ban(actor, userId, {
      type: 'visit', expiresAt: null, reason, hideRecentContent: true, hideAllContent: true
    }, { requestId }),
    auditOfMember: async (userId, limit) => await app.moderation.audit.list({ targetUserId: userId }, limit)
  })
  app.decorate('people', service)

  app.addHook('preHandler', async (request, reply) => {
    if (request.user?.mustChangePassword !== true || MUST_CHANGE_ALLOWED.test(request.url)) return
    if (request.method === 'GET' || request.method === 'HEAD') {
      request.session.flash = '管理员已重置您的密码，请先设置一个新密码后再继续'
      return await reply.redirect('/settings', 303)
    }
    throw new HttpError(403, '管理员已重置您的密码，请先在“设置”中修改密码后再继续')
  })

  await app.register(routes, { service })
}, { name: 'people', dependencies: ['db', 'clock', 'auth', 'view', 'members', 'comments', 'moderation', 'site-admin', 'forum'] })
