import type { Knex } from 'knex'
import type { AuthUser } from '../../lib/permissions'

/**
 * What the forum needs from the anti-abuse module (src/features/antiabuse): its `checkContribution`
 * runs for every new thread and reply inside the write's transaction (bans, flood control, new-member
 * rules, 屏蔽词) and may throw an HttpError; `checkEdit` is the same for an edit (bans and words, no
 * flood slot). Declared here as plain function types so the service can be tested
 * with stand-ins and the CLI can build a service without the anti-abuse cache.
 */
export interface ContributionInput {
  user: AuthUser
  text: string
  now: number
  trx: Knex.Transaction
  /** 帖子 or 回复, for the refusal messages. */
  noun?: string
}

export interface ContributionResult {
  status: 'visible' | 'pending'
  text: string
}

export type ContributionCheck = (input: ContributionInput) => Promise<ContributionResult>

