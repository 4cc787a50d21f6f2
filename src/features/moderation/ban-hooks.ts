import type { Knex } from 'knex'
import type { BanType } from '../../lib/permissions'

/**
 * The extension point other features use to react to a ban, inside the ban's own transaction
 * (`app.banHooks`, decorated by the moderation feature's index.ts): `app.banHooks.add('comments', async (event, trx) => ({ hiddenComments: n }))`.
 * The comments feature uses it to hide a member's recent comments when the moderator ticks
 * "同时屏蔽该会员最近的评论" (`event.hideRecentContent`). Moderation does not know the comments
 * table; comments does not know the bans table. What a hook returns is stored in the audit row
 * (after.hooks[name]), so the log says what else the ban changed. A hook that throws rolls the ban back.
 */

export interface BanEvent {
  banId: number
  userId: number
  moderatorId: number
  type: BanType
  /** Unix seconds; null = permanent. */
  expiresAt: number | null
  reason: string
  /** The moderator asked to hide the member's recent content as well. */
  hideRecentContent: boolean
  /** 删除垃圾用户 (用户管理): hide everything the member ever posted, not only the recent window. */
  hideAllContent?: boolean
  at: number
}

export type BanHook = (event: BanEvent, trx: Knex.Transaction) => Promise<Record<string, unknown> | undefined>

export interface BanHooks {
  add: (name: string, hook: BanHook) => void
  /** Runs every hook in registration order; returns what each reported, by name. */
  run: (event: BanEvent, trx: Knex.Transaction) => Promise<Record<string, Record<string, unknown>>>
  names: () => string[]
}

export function createBanHooks (): BanHooks {
  const hooks = new Map<string, BanHook>()
  return {
    add (name, hook) {
      if (hooks.has(name)) throw new Error(`ban hook ${name} registered twice`)
      hooks.set(name, hook)
    },
    async run (event, trx) {
      const out: Record<string, Record<string, unknown>> = {}
      // One after another: they share one transaction (one connection).
      for (const [name, hook] of hooks) {
        const result = await hook(event, trx)
        if (result !== undefined) out[name] = result
      }
      return out
    },
    names: () => [...hooks.keys()]
  }
}
