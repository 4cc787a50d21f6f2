import type { CliCommand } from '../../../scripts/cli'
import { antiAbuseFor } from '../antiabuse/service'
import { forumService } from './service'

/** Forum commands of `npm run cli`. */
export const forumCommands: Record<string, CliCommand> = {
  'forum:reconcile': {
    summary: 'recompute every board\'s and thread\'s counters (threads, posts, 今日, replies, last post) from the posts',
    async run ({ knex, config }) {
      const forum = forumService({ db: knex, timeZone: config.siteTimezone, antiAbuse: antiAbuseFor(knex) })
      const { threads, boards } = await forum.reconcile(Math.floor(Date.now() / 1000))
      console.log(`reconciled ${threads} threads and ${boards} boards`)
      return 0
    }
  }
}
