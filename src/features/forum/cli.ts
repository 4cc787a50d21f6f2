import type { CliCommands } from '../../cli/command'
import { antiAbuseFor } from '../antiabuse'
import { forumService } from './service'

/** Forum commands of `npm run cli`. No app here: the service is built from its factory, over the CLI's Knex handle. */
export const forumCommands: CliCommands = {
  'forum:reconcile': {
    summary: 'recompute board, thread and member counters (threads, posts, 今日, replies, last post, 帖子数) from the posts',
    async run ({ knex, config }) {
      const forum = forumService({ db: knex, timeZone: config.siteTimezone, antiAbuse: antiAbuseFor(knex) })
      const { threads, boards, users } = await forum.reconcile(Math.floor(Date.now() / 1000))
      console.log(`reconciled ${threads} threads, ${boards} boards and ${users} members' post counts`)
      return 0
    }
  },
  'forum:render': {
    summary: 'render every post body stored without a current render (before stored renders, or after RENDERER_VERSION changed)',
    async run ({ knex, config }) {
      const forum = forumService({ db: knex, timeZone: config.siteTimezone, antiAbuse: antiAbuseFor(knex) })
      console.log(`rendered ${await forum.renderStale()} post bodies`)
      return 0
    }
  }
}
