import { storedDiscuzHash } from '../../../lib/discuz-password'
import { usernameKey, usernameSkeleton } from '../../../lib/username-skeleton'
import { updateByIds } from '../../../db/bulk-update'
import { afterId, countOf, insertChunks, type Issue, type Step } from '../runner'
import { auditLog, type AuditEntry } from '../../moderation'

/**
 * Discuz's groups and admin ids → our roles (禁止发言/禁止访问 become bans in the bans step). 超级版主
 * (2) moderate the whole forum: our moderator. 版主 (3) moderate only their boards: members here, with
 * their boards granted from forum_moderator (the board-moderators step), not the run of the whole site.
 */
export function roleFor (groupid: number, adminid: number): 'admin' | 'moderator' | 'member' {
  if (adminid === 1 || groupid === 1) return 'admin'
  if (adminid === 2 || groupid === 2) return 'moderator'
  return 'member'
}

interface MemberRow {
  uid: number, username: string, email: string, groupid: number, adminid: number, regdate: number, status: number
  uc_password: string | null, uc_salt: string | null, posts: number | null, lastvisit: number | null, lastpost: number | null
}

/** A password hash nothing matches: the member resets the password by e-mail (reported as changed). */
const NO_PASSWORD = '!discuz-import:no-usable-hash'

export const membersStep: Step<MemberRow> = {
  name: 'members',
  count: async ({ src }) => await countOf(src.db(src.table('common_member'))),
  read: async ({ src }, after, limit) => await src.db(`${src.table('common_member')} as m`)
    .leftJoin(`${src.ucTable('members')} as u`, 'u.uid', 'm.uid')
    .leftJoin(`${src.table('common_member_count')} as c`, 'c.uid', 'm.uid')
    .leftJoin(`${src.table('common_member_status')} as s`, 's.uid', 'm.uid')
    .where('m.uid', '>', afterId(after)).orderBy('m.uid').limit(limit)
    .select('m.uid', 'm.username', 'm.email', 'm.groupid', 'm.adminid', 'm.regdate', 'm.status',
      'u.password as uc_password', 'u.salt as uc_salt', 'c.posts', 's.lastvisit', 's.lastpost'),
  keyOf: (r) => String(r.uid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const users: Array<Record<string, unknown>> = []
    for (const r of rows) {
      const key = String(r.uid)
      let username = String(r.username).trim()
      if (username === '') { issues.push({ key, kind: 'skipped', reason: '用户名为空' }); continue }
      // Discuz compares names byte for byte; ours are unique by NFKC + case and by look-alike skeleton.
      if (ctx.usernameKeys.has(usernameKey(username)) || ctx.usernameSkeletons.has(usernameSkeleton(username))) {
        const renamed = `${username.slice(0, 20)}_${r.uid}`
        issues.push({ key, kind: 'changed', reason: `用户名与已有会员相同或形近，改名为 ${renamed}` })
        username = renamed
      }
      let email = String(r.email ?? '').trim()
      // Discuz lets two accounts share an e-mail; ours are unique, so the later one gets a placeholder.
      if (email === '' || email.length > 191 || ctx.emailKeys.has(usernameKey(email))) {
        if (email !== '') issues.push({ key, kind: 'changed', reason: 'E-mail 与其他会员重复或过长，改为占位地址' })
        email = `discuz-${r.uid}@import.invalid`
      }
      const hash = r.uc_password === null ? null : storedDiscuzHash(String(r.uc_password), String(r.uc_salt ?? ''))
      if (hash === null) issues.push({ key, kind: 'changed', reason: 'UCenter 中没有可用的密码，须通过找回密码重设' })
      ctx.usernameKeys.add(usernameKey(username))
      ctx.usernameSkeletons.add(usernameSkeleton(username))
      ctx.emailKeys.add(usernameKey(email))
      ctx.ids.users.add(r.uid)
      users.push({
        id: r.uid,
        username,
        username_key: usernameKey(username),
        username_skeleton: usernameSkeleton(username),
        email,
        email_key: usernameKey(email),
        password_hash: hash ?? NO_PASSWORD,
        role: roleFor(Number(r.groupid), Number(r.adminid)),
        created_at: Number(r.regdate),
        last_login_at: r.lastvisit === null || Number(r.lastvisit) === 0 ? null : Number(r.lastvisit),
        last_post_at: Number(r.lastpost ?? 0),
        post_count: Number(r.posts ?? 0),
        locked_at: Number(r.status) === -1 ? ctx.now : null,
        lock_reason: Number(r.status) === -1 ? '在 Discuz 中已锁定' : ''
      })
      if (ctx.fallbackModerator === null && roleFor(Number(r.groupid), Number(r.adminid)) === 'admin') ctx.fallbackModerator = r.uid
    }
    return { imported: users.length, issues, write: async (trx) => { await insertChunks(trx, 'users', users, 200) } }
  }
}

interface BanRow { uid: number, groupid: number, groupexpiry: number, regdate: number }
interface CrimeRow { cid: number, uid: number, operatorid: number, operator: string, action: number, reason: string, dateline: number }

/**
 * Members in group 4 (禁止发言) or 5 (禁止访问). Discuz lifts an expired ban only on the member's next
 * visit, so a past `groupexpiry` is an expired ban: imported as history (lifted at its expiry), not as
 * an active one. The reason and operator come from the member's latest matching common_member_crime.
 */
export const bansStep: Step<BanRow> = {
  name: 'bans',
  count: async ({ src }) => await countOf(src.db(src.table('common_member')).whereIn('groupid', [4, 5])),
  read: async ({ src }, after, limit) => await src.db(src.table('common_member')).whereIn('groupid', [4, 5])
    .where('uid', '>', afterId(after)).orderBy('uid').limit(limit).select('uid', 'groupid', 'groupexpiry', 'regdate'),
  keyOf: (r) => String(r.uid),
  async map (ctx, rows) {
    const crimes = await ctx.src.db(ctx.src.table('common_member_crime')).whereIn('uid', rows.map((r) => r.uid)).whereIn('action', [4, 5])
      .orderBy([{ column: 'dateline', order: 'desc' }, { column: 'cid', order: 'desc' }]).select<CrimeRow[]>('*')
    const issues: Issue[] = []
    const bans: Array<Record<string, unknown>> = []
    const active: Array<{ uid: number, type: string, until: number | null, reason: string }> = []
    for (const r of rows) {
      const key = String(r.uid)
      if (!ctx.ids.users.has(r.uid)) { issues.push({ key, kind: 'skipped', reason: '被禁会员未导入' }); continue }
      const crime = crimes.find((c) => c.uid === r.uid && Number(c.action) === Number(r.groupid))
      const moderator = crime !== undefined && ctx.ids.users.has(Number(crime.operatorid)) ? Number(crime.operatorid) : ctx.fallbackModerator
      if (moderator === null) { issues.push({ key, kind: 'skipped', reason: '没有可记为操作者的管理员' }); continue }
      const type = Number(r.groupid) === 4 ? 'post' : 'visit'
      const expiry = Number(r.groupexpiry)
      const expired = expiry !== 0 && expiry <= ctx.now
      const reason = (crime?.reason ?? '').trim() === '' ? '（Discuz 未记录理由）' : String(crime?.reason).trim().slice(0, 255)
      bans.push({
        user_id: r.uid, type, reason, created_at: crime !== undefined ? Number(crime.dateline) : Number(r.regdate),
        expires_at: expiry === 0 ? null : expiry, moderator_id: moderator,
        lifted_at: expired ? expiry : null, lifted_by: null, lift_reason: expired ? '到期' : null
      })
      if (!expired) active.push({ uid: r.uid, type, until: expiry === 0 ? null : expiry, reason })
    }
    return {
      imported: bans.length,
      issues,
      write: async (trx) => {
        await insertChunks(trx, 'bans', bans)
        await updateByIds(trx, 'users', active.map((a) => ({ id: a.uid, values: { ban_type: a.type, ban_until: a.until, ban_reason: a.reason } })))
      }
    }
  }
}

const CRIME_ACTIONS: Readonly<Record<number, string>> = {
  1: '删除帖子', 2: '警告帖子', 3: '屏蔽帖子', 4: '禁止发言', 5: '禁止访问', 6: '锁定用户', 7: '清除头像', 8: '清除签名', 9: '清除自定义头衔'
}

/** Every common_member_crime row into the audit log (操作记录): who did what to whom, why, when. */
export const crimesStep: Step<CrimeRow> = {
  name: 'crimes',
  count: async ({ src }) => await countOf(src.db(src.table('common_member_crime'))),
  read: async ({ src }, after, limit) => await src.db(src.table('common_member_crime')).where('cid', '>', afterId(after)).orderBy('cid').limit(limit)
    .select('cid', 'uid', 'operatorid', 'operator', 'action', 'reason', 'dateline'),
  keyOf: (r) => String(r.cid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const log: AuditEntry[] = []
    for (const r of rows) {
      const actor = ctx.ids.users.has(Number(r.operatorid)) ? Number(r.operatorid) : ctx.fallbackModerator
      if (actor === null) { issues.push({ key: String(r.cid), kind: 'skipped', reason: '没有可记为操作者的管理员' }); continue }
      const action = Number(r.action)
      log.push({
        actorId: actor,
        action: action === 4 || action === 5 ? 'ban' : `discuz_crime_${action}`,
        targetUserId: ctx.ids.users.has(Number(r.uid)) ? Number(r.uid) : null,
        targetType: 'user',
        targetId: Number(r.uid),
        reason: String(r.reason ?? ''),
        after: { source: 'discuz', action: CRIME_ACTIONS[action] ?? `action ${action}`, operator: r.operator, ...(action === 4 || action === 5 ? { ban_type: action === 4 ? 'post' : 'visit' } : {}) },
        at: Number(r.dateline),
        requestId: 'discuz-import'
      })
    }
    // Through the audit log's own module: the table stays append-only, written in one place.
    return { imported: log.length, issues, write: async (trx) => { await auditLog(ctx.db).recordMany(log, trx) } }
  }
}
