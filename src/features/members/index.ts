import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AppConfig } from '../../config'
import type { AuthUserSource } from '../../plugins/auth'
import { membersService, type MembersService } from './service'
import { MemberProfiles, postsProvider } from './profile'
import { usersRepository } from './repository'
import membersRoutes from './routes'
import { memberAdminRepository, type MemberAdminRepository } from './admin'
import { accountLinksService, type AccountLinks } from './account-links'
import accountRoutes from './account-routes'

export type { MembersService } from './service'
export type { AccountLinks } from './account-links'
export type { MemberAdminRepository, MemberListRow, MemberSearch } from './admin'
export { hashPassword } from './password'
export { validatePassword } from './validation'
export type { MemberProfile, MemberProfiles, ProfileItem, ProfileProvider, ProfileSection, ProfileStat } from './profile'

declare module 'fastify' {
  interface FastifyInstance {
    /** Accounts: registration, login with lockout, password and e-mail changes, roles (service.ts). */
    members: MembersService
    /** The member profile (空间); features contribute counts and lists with `addProvider` (see profile.ts). */
    memberProfiles: MemberProfiles
    /** Account queries for 用户管理 (admin.ts): search, role, password reset, lock; the people feature owns the rules. */
    memberAdmin: MemberAdminRepository
    /** 找回密码 and e-mail verification links (account-links.ts). */
    accountLinks: AccountLinks
  }
}

/**
 * The lookup the auth plugin loads `request.user` with (src/plugins/auth.ts says why it is handed in).
 * Auth is registered before the features (input-text, errors and every feature's hooks rely on
 * `request.user`), so it cannot wait for this plugin's service; a repository holds no state, so a
 * second one over the same Knex handle costs nothing and duplicates no cache.
 */
export function memberAuthSource (db: Knex): AuthUserSource {
  const users = usersRepository(db)
  return { findAuthUser: async (id) => await users.findAuthUser(id) }
}

/**
 * The members feature: builds the members service and the profile registry once, shares them upward
 * (`app.members`, `app.memberProfiles`: fastify-plugin) so features registered after it can add profile
 * providers, and registers its routes in an encapsulated child.
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  const links = accountLinksService({
    db: app.db, clock: app.clock, mail: app.mail, bcryptCost: opts.config.bcryptCost, siteName: async (trx) => await app.settings.get('site_name', trx)
  })
  app.decorate('accountLinks', links)
  app.decorate('members', membersService({ db: app.db, clock: app.clock, bcryptCost: opts.config.bcryptCost, sendVerification: links.sendVerification }))
  const users = usersRepository(app.db)
  const profiles = new MemberProfiles(users, app.clock, (name, err) => {
    app.log.error({ err, provider: name }, 'profile provider failed')
  })
  profiles.addProvider(postsProvider(users))
  app.decorate('memberProfiles', profiles)
  app.decorate('memberAdmin', memberAdminRepository(app.db))
  await app.register(membersRoutes, opts)
  await app.register(accountRoutes, opts)
}, { name: 'members', dependencies: ['db', 'clock', 'auth', 'view', 'security', 'legacy-urls', 'mail', 'captcha'] })
