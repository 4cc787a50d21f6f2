import type { Clock } from '../../lib/clock'
import { activeBan, BAN_NAMES, ROLE_NAMES, type BanType, type Role } from '../../lib/permissions'
import { toAuthUser, type UsersRepository } from './repository'

/**
 * The public profile (空间) of a member, gathered from a small list of providers.
 *
 * How another feature adds to it (e.g. comments, once that table exists), in its own plugin:
 *
 *   app.memberProfiles.addProvider({
 *     name: 'comments',
 *     async stats (userId) { return [{ label: '评论数', value: await comments.countByAuthor(userId), order: 30 }] },
 *     async recent (userId) { return { title: '最新评论', order: 30, items: (await comments.latestByAuthor(userId, 5)).map(...) } }
 *   })
 *
 * A provider only reads its own feature's tables; the profile page shows whatever the providers return,
 * so a feature that is switched off or not built yet simply contributes nothing. A provider that throws
 * is logged and skipped: one broken section must not take the whole page down.
 */

export interface ProfileStat { label: string, value: number, order: number }
export interface ProfileItem { title: string, url: string, at: number }
export interface ProfileSection { title: string, order: number, items: ProfileItem[] }

export interface ProfileProvider {
  name: string
  stats?: (userId: number) => Promise<ProfileStat[]>
  recent?: (userId: number) => Promise<ProfileSection | null>
}

export interface MemberProfile {
  id: number
  username: string
  role: Role
  roleName: string
  createdAt: number
  lastLoginAt: number | null
  ban: { type: BanType, name: string, until: number | null, reason: string } | null
  stats: ProfileStat[]
  sections: ProfileSection[]
}

export class MemberProfiles {
  private readonly providers: ProfileProvider[] = []
  constructor (private readonly users: UsersRepository, private readonly clock: Clock, private readonly onProviderError: (name: string, err: unknown) => void = () => {}) {}

  addProvider (provider: ProfileProvider): void {
    if (this.providers.some((p) => p.name === provider.name)) throw new Error(`profile provider "${provider.name}" is already registered`)
    this.providers.push(provider)
  }

  /** The profile of member `userId`, or null when there is no such member. */
  async get (userId: number): Promise<MemberProfile | null> {
    const row = await this.users.findById(userId)
    if (row === null) return null
    const user = toAuthUser(row)
    const ban = activeBan(user, this.clock.now())
    const stats: ProfileStat[] = []
    const sections: ProfileSection[] = []
    await Promise.all(this.providers.map(async (p) => {
      try {
        if (p.stats !== undefined) stats.push(...await p.stats(userId))
        if (p.recent !== undefined) {
          const s = await p.recent(userId)
          if (s !== null) sections.push(s)
        }
      } catch (err) {
        this.onProviderError(p.name, err)
      }
    }))
    stats.sort((a, b) => a.order - b.order)
    sections.sort((a, b) => a.order - b.order)
    return {
      id: user.id,
      username: user.username,
      role: user.role,
      roleName: ROLE_NAMES[user.role],
      createdAt: user.createdAt,
      lastLoginAt: row.last_login_at,
      ban: ban === null ? null : { type: ban.type, name: BAN_NAMES[ban.type], until: ban.until, reason: ban.reason },
      stats,
      sections
    }
  }
}

/** 帖子数: the forum keeps it on the user row (users.post_count), which this feature owns. */
export function postsProvider (users: UsersRepository): ProfileProvider {
  return {
    name: 'posts',
    async stats (userId) {
      return [{ label: '帖子数', value: await users.postCount(userId), order: 20 }]
    }
  }
}
