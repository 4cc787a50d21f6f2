import type { CliCommands } from '../../cli/command'
import { antiAbuseFor } from '../antiabuse'
import { systemClock } from '../../lib/clock'
import { SettingsService } from '../../plugins/settings'
import { forumService, type ForumService } from './service'

/** Forum commands of `npm run cli`. No app here: the service is built from its factory, over the CLI's Knex handle. */
/** The forum service over the CLI's handle; 今日 in the zone the site is set to (站点设置 → 时区), as the app counts it. */
function cliForum (knex: Parameters<CliCommands[string]['run']>[0]['knex'], siteTimezone: string): ForumService {
  const settings = new SettingsService(knex, systemClock, siteTimezone)
  return forumService({ db: knex, timeZone: async (trx) => await settings.timeZone(trx), antiAbuse: antiAbuseFor(knex) })
}

export const forumCommands: CliCommands = {
  'forum:reconcile': {
    summary: 'recompute board, thread and member counters (threads, posts, 今日, replies, last post, 帖子数) from the posts',
    async run ({ knex, config }) {
      const forum = cliForum(knex, config.siteTimezone)
      const { threads, boards, users } = await forum.reconcile(Math.floor(Date.now() / 1000))
      console.log(`reconciled ${threads} threads, ${boards} boards and ${users} members' post counts`)
      return 0
    }
  },
  'forum:render': {
    summary: 'render every post body stored without a current render (before stored renders, or after RENDERER_VERSION changed)',
    async run ({ knex, config }) {
      const forum = cliForum(knex, config.siteTimezone)
      console.log(`rendered ${await forum.renderStale()} post bodies`)
      return 0
    }
  }
}
