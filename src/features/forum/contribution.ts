import type { Knex } from 'knex'
import { can, type AuthUser } from '../../lib/permissions'
import { forbidden } from '../../lib/http-errors'

/**
 * The shape of the anti-abuse entry point the forum calls for every new thread and reply, inside
 * the write's transaction: it may throw an HttpError (flood, ban, blocked word) or answer whether
 * the contribution shows at once or waits for review, with the (possibly word-replaced) text.
 */
export interface ContributionInput {
  user: AuthUser
  text: string
  now: number
  trx: Knex.Transaction
}

export interface ContributionResult {
  status: 'visible' | 'pending'
  text: string
}

export type ContributionCheck = (input: ContributionInput) => Promise<ContributionResult>

/**
 * Stand-in until the anti-abuse module is merged: only the ban rule (`can write`); lengths are
 * checked by the forum service before this runs.
 */
export const permissionOnlyContribution: ContributionCheck = async ({ user, text, now }) => {
  if (!can(user, { action: 'write' }, now)) throw forbidden('抱歉，您已被禁止发言')
  return { status: 'visible', text }
}
