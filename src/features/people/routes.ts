import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, parseId } from '../../lib/http-errors'
import { ROLES, ROLE_NAMES, activeBan, BAN_NAMES, toRole } from './roles'
import { parseAdminReason, messages, type PeopleService } from './service'

/** /admin/members (用户管理): HTTP only, admins only. */

const ADMIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const
const Text = Type.Optional(Type.String({ maxLength: 400 }))
const ListQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })), before: Type.Optional(Type.String({ maxLength: 12 })) })
const UidParams = Type.Object({ uid: Type.String({ maxLength: 12 }) })
const MemberQuery = Type.Object({ done: Type.Optional(Type.String({ maxLength: 12 })) })
const RoleBody = Type.Object({ _csrf: Text, role: Text })
const PasswordBody = Type.Object({ _csrf: Text, password: Text, password2: Text })
const ReasonBody = Type.Object({ _csrf: Text, reason: Text, confirm: Text })

const DONE: Readonly<Record<string, string>> = {
  role: '用户组已修改',
  password: '密码已重置：该用户下次登录时必须设置新密码，其已登录的会话已退出',
  lock: '账号已锁定，该用户已被退出登录',
  unlock: '账号已解锁',
  spammer: '已删除垃圾用户：其全部评论、主题和回帖已屏蔽，并已永久禁止访问'
}

/** The audit rows a member page shows, in words (others show their code). */
const ACTION_NAMES: Readonly<Record<string, string>> = {
  ban: '禁止', lift_ban: '解除禁止', spammer_delete: '删除垃圾用户', member_role: '修改用户组', member_password_reset: '重置密码',
  member_lock: '锁定账号', member_unlock: '解锁账号', comment_delete: '删除评论', comment_approve: '审核评论', thread_delete: '删除主题', post_delete: '删除回帖'
}

const KIND_NAMES = { all: '全部会员', name: '用户名开头为', email: 'Email 为', ip: 'IP（或其散列）为', uid: 'UID 为' } as const

function parseBefore (raw: string | undefined): number | undefined {
  return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : undefined
}

export default async function peopleRoutes (app: FastifyInstance, opts: { service: PeopleService }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service
  const crumbs = (extra: Array<{ label: string, url?: string }> = []): Array<{ label: string, url?: string }> =>
    [{ label: '管理中心', url: '/admin' }, { label: '用户管理', url: '/admin/members' }, ...extra]

  r.get('/admin/members', { schema: { querystring: ListQuery }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const q = request.query.q ?? ''
    const found = await service.search(q, parseBefore(request.query.before))
    const now = app.clock.now()
    const rows = found.rows.map((row) => ({ ...row, ban: activeBan(row, now), locked: row.locked_at !== null }))
    return await reply.render('people/list.njk', {
      adminActive: 'members', adminTitle: '用户管理', crumbs: crumbs(), q, kindName: KIND_NAMES[found.kind], rows, nextBefore: found.nextBefore, banNames: BAN_NAMES
    })
  })

  const renderMember = async (reply: FastifyReply, uid: number, extra: { notice?: string, errors?: Partial<Record<string, string>> } = {}): Promise<FastifyReply> => {
    const { row, history } = await service.member(uid)
    const profile = await app.memberProfiles.get(uid)
    // Every state (hidden ones too): an admin judging a member sees what they wrote, deleted or not.
    const forum = await app.forum.contributionsOf(uid, 10)
    const now = app.clock.now()
    return await reply.render('people/member.njk', {
      adminActive: 'members', adminTitle: `用户管理 - ${row.username}`, crumbs: crumbs([{ label: row.username }]),
      member: { ...row, roleName: ROLE_NAMES[toRole(row.role)], locked: row.locked_at !== null, mustChange: Boolean(row.must_change_password) },
      forum, statusNames: { visible: '', pending: '待审核', deleted: '已删除' },
      ban: activeBan(row, now), banNames: BAN_NAMES, profile, history: history.map((h) => ({ ...h, actionName: ACTION_NAMES[h.action] ?? h.action })),
      roles: ROLES.map((role) => ({ value: role, label: ROLE_NAMES[role] })),
      notice: extra.notice ?? '', errors: extra.errors ?? {}
    })
  }

  r.get('/admin/members/:uid', { schema: { params: UidParams, querystring: MemberQuery }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    return await renderMember(reply, parseId(request.params.uid), { notice: DONE[request.query.done ?? ''] ?? '' })
  })

  /** A refusal the admin can read beside the form: the member page again with the message, nothing changed. */
  const refuse = async (reply: FastifyReply, uid: number, field: string, message: string): Promise<FastifyReply> => {
    reply.code(400)
    return await renderMember(reply, uid, { errors: { [field]: message } })
  }
  const done = async (reply: FastifyReply, uid: number, what: string): Promise<FastifyReply> => await reply.redirect(`/admin/members/${uid}?done=${what}`, 303)

  r.post('/admin/members/:uid/role', { schema: { params: UidParams, body: RoleBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const uid = parseId(request.params.uid)
    await service.changeRole(admin, uid, request.body.role, request.id)
    return await done(reply, uid, 'role')
  })

  r.post('/admin/members/:uid/password', { schema: { params: UidParams, body: PasswordBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const uid = parseId(request.params.uid)
    const problem = await service.resetPassword(admin, uid, request.body, request.id)
    if (problem !== null) return await refuse(reply, uid, 'password', problem)
    return await done(reply, uid, 'password')
  })

  for (const action of ['lock', 'unlock', 'spammer'] as const) {
    r.post(`/admin/members/:uid/${action}`, { schema: { params: UidParams, body: ReasonBody }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
      const admin = app.requirePermission(request, { action: 'admin' })
      const uid = parseId(request.params.uid)
      const reason = parseAdminReason(request.body.reason)
      if (reason === null) return await refuse(reply, uid, action, messages.reasonLength)
      if (action === 'spammer' && request.body.confirm !== '1') return await refuse(reply, uid, action, '请勾选确认：该操作会屏蔽该用户的全部内容')
      try {
        if (action === 'lock') await service.lock(admin, uid, reason, request.id)
        else if (action === 'unlock') await service.unlock(admin, uid, reason, request.id)
        else await service.deleteSpammer(admin, uid, reason, request.id)
      } catch (err) {
        // A rule's refusal (self, an admin, already locked) is shown beside the form it came from.
        if (err instanceof HttpError && err.statusCode === 403) return await refuse(reply, uid, action, err.message)
        throw err
      }
      return await done(reply, uid, action)
    })
  }
}
