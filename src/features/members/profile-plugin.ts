import fp from 'fastify-plugin'
import { articlesProvider, MemberProfiles, postsProvider } from './profile'

declare module 'fastify' {
  interface FastifyInstance {
    /** The member profile (空间) service; features contribute counts and lists with `addProvider` (see profile.ts). */
    memberProfiles: MemberProfiles
  }
}

/** Shared upward (fastify-plugin) so every feature registered after it can add a profile provider. */
export default fp(async (app) => {
  const profiles = new MemberProfiles(app.db, app.clock, (name, err) => {
    app.log.error({ err, provider: name }, 'profile provider failed')
  })
  profiles.addProvider(articlesProvider(app.db))
  profiles.addProvider(postsProvider(app.db))
  app.decorate('memberProfiles', profiles)
}, { name: 'member-profiles', dependencies: ['db', 'clock'] })
