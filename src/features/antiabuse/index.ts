import fp from 'fastify-plugin'
import { antiAbuseFor, type AntiAbuse } from './service'

/**
 * The anti-abuse feature: one instance of the rules (bans, flood control, new-member rules, the
 * 屏蔽词 list and its cached matcher) for the whole app, as `app.antiAbuse`. Comments and the forum
 * check every contribution through it, the admin word list changes it: one matcher, so a change
 * made in this process is seen at once by every feature. The instance is antiAbuseFor(app.db), the
 * one per Knex handle, so code that still builds it from the factory (the CLI has no app) shares it.
 */

declare module 'fastify' {
  interface FastifyInstance {
    antiAbuse: AntiAbuse
  }
}

export default fp(async function antiAbuseFeature (app) {
  app.decorate('antiAbuse', antiAbuseFor(app.db))
}, { name: 'antiabuse', dependencies: ['db'] })

export {
  antiAbuseFor, antiAbuseService, newMemberWait, containsLink, floodIntervalFor, messages,
  FLOOD_INTERVAL, NEW_MEMBER_FLOOD_INTERVAL, NEW_MEMBER_DAY, NEW_MEMBER_SILENCE, NEW_MEMBER_LINK_REVIEW_COUNT, WORD_CACHE_TTL_MS,
  type AntiAbuse, type AntiAbuseOptions, type ContributionInput, type ContributionStatus, type ContributionVerdict
} from './service'
export type { WordFilterRow } from './repository'
