import { activeBan as banOf, BAN_NAMES, isRole, ROLE_NAMES, ROLES, type ActiveBan, type Role } from '../../lib/permissions'

/** The role list and ban state as 用户管理 shows them (roles come from permissions.ts, so a new role appears by itself). */

export { BAN_NAMES, ROLE_NAMES, ROLES }

export function toRole (raw: string): Role {
  return isRole(raw) ? raw : 'member'
}

/** A list row's ban in force (raw columns), or null. */
export function activeBan (row: { ban_type: string | null, ban_until: number | null, ban_reason?: string | null }, now: number): ActiveBan | null {
  const banType = row.ban_type === 'post' || row.ban_type === 'visit' ? row.ban_type : null
  return banOf({ banType, banUntil: row.ban_until, banReason: row.ban_reason ?? null }, now)
}
