/**
 * Every permission rule of the site, in one place. Routes and services ask `can()`;
 * templates only read answers computed here. Bans are honoured by comparing their
 * expiry with the clock, so an expired ban ends by itself with no job running.
 */

// 编辑 (editor) sits between member and moderator: a member who writes portal articles in the
// categories granted to them (category_editors, Discuz's 频道权限), and moderates nothing.
export type Role = 'admin' | 'moderator' | 'editor' | 'member'
export const ROLES: readonly Role[] = ['admin', 'moderator', 'editor', 'member']
export const ROLE_NAMES: Readonly<Record<Role, string>> = { admin: '管理员', moderator: '版主', editor: '编辑', member: '注册会员' }

export type BanType = 'post' | 'visit'
export const BAN_NAMES: Readonly<Record<BanType, string>> = { post: '禁止发言', visit: '禁止访问' }

/** The member making a request, as the auth plugin loads it. */
export interface AuthUser {
  id: number
  username: string
  role: Role
  createdAt: number
  postCount: number
  banType: BanType | null
  /** Unix seconds; null with a banType means permanent. */
  banUntil: number | null
  banReason: string | null
  /** An admin reset the password: the member must set a new one before anything else (用户管理). */
  mustChangePassword?: boolean
  /** An admin locked the account: it cannot log in, and a session of it is dropped. */
  locked?: boolean
  /** The e-mail address is confirmed (issue 20); false only when a link is still to be followed. */
  emailVerified?: boolean
  /**
   * The boards this member is 版主 of (board_moderators rows), loaded with the member by the auth
   * lookup: one indexed query, and `can()` stays synchronous. Absent or empty for most members.
   */
  moderatedBoards?: readonly number[]
  /** 提醒 not yet read (users.unread_notifications, read with the member row: no count query per page). */
  unreadNotifications?: number
  /** Members this member blocked (屏蔽用户): their posts collapse for them. Loaded with the member, like moderatedBoards. */
  blockedIds?: readonly number[]
}

export interface ActiveBan { type: BanType, until: number | null, reason: string }

export function isRole (value: unknown): value is Role {
  return value === 'admin' || value === 'moderator' || value === 'editor' || value === 'member'
}

export function activeBan (user: Pick<AuthUser, 'banType' | 'banUntil' | 'banReason'>, now: number): ActiveBan | null {
  if (user.banType === null) return null
  if (user.banUntil !== null && user.banUntil <= now) return null
  return { type: user.banType, until: user.banUntil, reason: user.banReason ?? '' }
}

/** The member's 禁止发言 in force, if any: what posting forms show in place of themselves. */
export function postingBan (user: AuthUser | null, now: number): ActiveBan | null {
  if (user === null) return null
  const ban = activeBan(user, now)
  return ban?.type === 'post' ? ban : null
}

export function isStaff (user: AuthUser | null): boolean {
  return user !== null && (user.role === 'admin' || user.role === 'moderator')
}

/** Something owned by a member (a comment, a post, an article). */
export interface Owned { authorId: number | null }

/** A portal article as the publishing rules see it. */
export interface ArticleRef { authorId: number, categoryId: number, status: string }

/**
 * The categories a member may publish in (category_editors rows), loaded by the portal for the
 * request that asks: `can()` stays synchronous and knows no table.
 */
export type EditorGrants = ReadonlySet<number>

export type Action =
  | { action: 'write' } // post a comment, reply, thread, or react: any write of member content
  | { action: 'edit-own', resource: Owned } // edit or delete a piece of content
  | { action: 'moderate' } // see /mod, the review queue, approve and delete others' content
  | { action: 'moderate-board', boardId: number } // the forum's tools (pin, close, move, delete, approve) in this board
  | { action: 'moderate-any-board' } // reach the forum's moderation routes at all: staff, or 版主 of some board
  | { action: 'ban', target: Pick<AuthUser, 'id' | 'role'> }
  | { action: 'admin' }
  | { action: 'upload' } // upload a picture (POST /uploads): for articles now; avatars later
  | { action: 'write-articles', grants: EditorGrants } // open /portal/write and /portal/manage at all
  | { action: 'publish', categoryId: number, grants: EditorGrants } // create or move an article into this category
  | { action: 'edit-article', article: ArticleRef, grants: EditorGrants } // open, save, hide or restore this article

/**
 * Who may upload pictures. Staff now. The editor role (issue 17: 编辑) joins here when it exists;
 * members join for avatars with their own issue (their uploads then need a daily cap as reactions have).
 */
const UPLOAD_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'moderator', 'editor'])

/**
 * Roles whose category grants count. Editors by definition; a moderator moderates comments and the
 * forum but publishes only where an admin granted a category (a grant given to a plain member through
 * the CLI makes them an editor: see editor:grant). Admins publish everywhere without grants.
 */
const GRANTED_ROLES: ReadonlySet<Role> = new Set<Role>(['editor', 'moderator'])

function mayPublishIn (user: AuthUser, categoryId: number, grants: EditorGrants): boolean {
  if (user.role === 'admin') return true
  return GRANTED_ROLES.has(user.role) && grants.has(categoryId)
}

/** Statuses an author keeps working on: their own drafts and pieces waiting for review. */
const AUTHOR_STATUSES: ReadonlySet<string> = new Set(['draft', 'pending'])

export function can (user: AuthUser | null, request: Action, now: number): boolean {
  if (user === null) return false
  const ban = activeBan(user, now)
  switch (request.action) {
    case 'write':
      return ban === null
    case 'edit-own':
      // A ban stops edits by anyone, staff included: 禁止发言 means no writing of any kind.
      if (ban !== null) return false
      if (isStaff(user)) return true
      return request.resource.authorId !== null && request.resource.authorId === user.id
    case 'moderate':
      // A staff member under a ban (an admin banned them) moderates nothing meanwhile: no thread
      // tools, no review queues, no /mod. One rule here, so every moderation route follows it.
      return ban === null && isStaff(user)
    case 'moderate-board':
      // Site moderators and admins everywhere; a board's 版主 (any role) in their boards only. A ban
      // stops both, as for 'moderate'.
      return ban === null && (isStaff(user) || (user.moderatedBoards?.includes(request.boardId) ?? false))
    case 'moderate-any-board':
      return ban === null && (isStaff(user) || (user.moderatedBoards?.length ?? 0) > 0)
    case 'ban':
      // Nobody bans themselves or an admin; moderators ban members; admins also ban moderators.
      // A moderator who is under a ban places or lifts no bans meanwhile (as for 'moderate').
      if (ban !== null) return false
      if (request.target.id === user.id) return false
      if (request.target.role === 'admin') return false
      if (user.role === 'admin') return true
      return user.role === 'moderator' && request.target.role === 'member'
    case 'admin':
      return user.role === 'admin'
    case 'upload':
      // A picture is content: 禁止发言 stops uploads too.
      return ban === null && UPLOAD_ROLES.has(user.role)
    case 'write-articles':
      if (ban !== null) return false
      return user.role === 'admin' || (GRANTED_ROLES.has(user.role) && request.grants.size > 0)
    case 'publish':
      return ban === null && mayPublishIn(user, request.categoryId, request.grants)
    case 'edit-article':
      // Editors of the article's category (and admins) edit every article in it, pending ones
      // included; an author whose rights moved on still edits their own draft or pending piece,
      // but only while they are an editor somewhere (a demoted member writes nothing).
      if (ban !== null) return false
      if (mayPublishIn(user, request.article.categoryId, request.grants)) return true
      return request.article.authorId === user.id && AUTHOR_STATUSES.has(request.article.status) &&
        GRANTED_ROLES.has(user.role) && request.grants.size > 0
  }
}
