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
  const service = antiAbuseFor(app.db)
  // The numbers come from 站点设置 (1 s cache; read in the posting transaction when stale).
  service.useLimits(async (trx) => ({
    floodInterval: await app.settings.getNumber('flood_interval', trx),
    newMemberFloodInterval: await app.settings.getNumber('new_member_flood_interval', trx),
    newMemberSilence: await app.settings.getNumber('new_member_silence', trx),
    newMemberLinkReviewCount: await app.settings.getNumber('new_member_link_review_count', trx),
    emailVerificationRequired: await app.settings.get('email_verification_required', trx) === '1'
  }))
  app.decorate('antiAbuse', service)
}, { name: 'antiabuse', dependencies: ['db', 'settings'] })

export {
  antiAbuseFor, antiAbuseService, newMemberWait, DEFAULT_LIMITS, containsLink, floodIntervalFor, messages,
  FLOOD_INTERVAL, NEW_MEMBER_FLOOD_INTERVAL, NEW_MEMBER_DAY, NEW_MEMBER_SILENCE, NEW_MEMBER_LINK_REVIEW_COUNT, WORD_CACHE_TTL_MS,
  type AntiAbuse, type AntiAbuseOptions, type AntiAbuseLimits, type LimitsReader, type ContributionInput, type ContributionStatus, type ContributionVerdict
} from './service'
export type { WordFilterRow } from './repository'
