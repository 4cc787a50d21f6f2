import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { ManualClock } from '../../src/lib/clock'
import { can, type AuthUser } from '../../src/lib/permissions'
import { parseBanForm } from '../../src/features/moderation/service'
import { auditLog } from '../../src/features/moderation/audit'
import { postBan, postUnban } from './helpers'

const TZ = 'Asia/Shanghai'
// 2026-11-26 10:00 in Shanghai.
const START_MS = Date.UTC(2026, 10, 26, 2, 0, 0)

describe.each(dialects)('bans on %s', (dialect) => {
  const clock = new ManualClock(START_MS)
  // Moderators and members log in many times in this file: the per-IP login rate limit would refuse them.
  const ctx = useTestApp(dialect, { app: { clock, env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let mod: CreatedUser
  let mod2: CreatedUser
  let articleId: number

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { username: '站长', role: 'admin' })
    mod = await createUser(ctx.db.knex, { username: '版主甲', role: 'moderator' })
    mod2 = await createUser(ctx.db.knex, { username: '版主乙', role: 'moderator' })
    const cat = await createCategory(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: cat, authorId: admin.id, title: '公告', publishedAt: Math.floor(START_MS / 1000) - 3600 }) // before the test clock: a later time schedules it
  })

  interface LogRow { action: string, actor_id: number, target_user_id: number | null, reason: string, request_id: string, before_state: string, after_state: string }
  const auditRows = async (userId: number): Promise<LogRow[]> => await ctx.db.knex<LogRow>('moderation_log').where({ target_user_id: userId }).orderBy('id')

  describe('who may ban whom (through HTTP)', () => {
    it('a member cannot reach the ban form or post a ban', async () => {
      const member = await createUser(ctx.db.knex)
      const victim = await createUser(ctx.db.knex)
      const agent = await login(ctx.t.agent(), member.username, member.password)
      await agent.get(`/mod/ban/${victim.id}`).expect(403)
      const res = await postBan(agent, victim.id, {})
      expect(res.status).toBe(403)
      await agent.get('/mod').expect(403)
      await ctx.t.agent().get('/mod').expect(401)
      expect(await ctx.db.knex('bans').where({ user_id: victim.id })).toHaveLength(0)
    })

    it('a moderator bans a member but not a moderator, an admin or themselves', async () => {
      const member = await createUser(ctx.db.knex)
      const agent = await login(ctx.t.agent(), mod.username, mod.password)
      const form = await agent.get(`/mod/ban/${member.id}?type=visit`).expect(200)
      expect(form.text).toContain('name="type" value="visit" checked')
      expect(form.text).toContain('同时屏蔽该会员最近的评论')
      for (const target of [mod2, admin, mod]) {
        await agent.get(`/mod/ban/${target.id}`).expect(403)
        const res = await postBan(agent, target.id, {})
        expect(res.status).toBe(403)
        expect(res.text).toContain('您没有权限')
        expect(await ctx.db.knex('bans').where({ user_id: target.id })).toHaveLength(0)
      }
      const ok = await postBan(agent, member.id, {})
      expect(ok.status).toBe(303)
      expect(ok.headers.location).toBe(`/mod/ban/${member.id}?done=ban`)
    })

    it('an admin bans a moderator but not another admin or themselves', async () => {
      const otherAdmin = await createUser(ctx.db.knex, { role: 'admin' })
      const agent = await login(ctx.t.agent(), admin.username, admin.password)
      expect((await postBan(agent, otherAdmin.id, {})).status).toBe(403)
      expect((await postBan(agent, admin.id, {})).status).toBe(403)
      const modVictim = await createUser(ctx.db.knex, { role: 'moderator' })
      expect((await postBan(agent, modVictim.id, { reason: '滥用权限' })).status).toBe(303)
      const row = await ctx.db.knex('users').where({ id: modVictim.id }).first()
      expect(row.ban_type).toBe('post')
      // A banned moderator places no bans meanwhile.
      const banned = await login(ctx.t.agent(), modVictim.username, modVictim.password)
      const member = await createUser(ctx.db.knex)
      expect((await postBan(banned, member.id, {})).status).toBe(403)
    })

    it('an unknown member is a 404', async () => {
      const agent = await login(ctx.t.agent(), mod.username, mod.password)
      await agent.get('/mod/ban/999999').expect(404)
      await agent.get('/mod/ban/abc').expect(404)
    })
  })

  describe('validation', () => {
    it.each([
      [{ reason: '' }, '操作理由必须为 2 到 200 个字符'],
      [{ reason: '坏' }, '操作理由必须为 2 到 200 个字符'],
      [{ reason: '长'.repeat(201) }, '操作理由必须为 2 到 200 个字符'],
      [{ reason: '   \n ' }, '操作理由必须为 2 到 200 个字符'],
      [{ duration: 'custom', until: '2026-11-25' }, '到期日期必须晚于今天'],
      [{ duration: 'custom', until: '2026-11-26' }, '到期日期必须晚于今天'],
      [{ duration: 'custom', until: '2026-02-30' }, '请按 YYYY-MM-DD 的格式填写到期日期'],
      [{ duration: 'custom', until: '' }, '请按 YYYY-MM-DD 的格式填写到期日期'],
      [{ duration: '2' }, '请选择处罚期限'],
      [{ type: 'mute' }, '请选择处罚类型']
    ])('rejects %j with a clear message and changes nothing', async (fields, message) => {
      const member = await createUser(ctx.db.knex)
      const agent = await login(ctx.t.agent(), mod.username, mod.password)
      const before = await ctx.db.knex('moderation_log').count<Array<{ n: number | string }>>({ n: '*' })
      const res = await postBan(agent, member.id, fields)
      expect(res.status).toBe(400)
      expect(res.text).toContain(message)
      expect(await ctx.db.knex('bans').where({ user_id: member.id })).toHaveLength(0)
      expect((await ctx.db.knex('users').where({ id: member.id }).first()).ban_type).toBeNull()
      const after = await ctx.db.knex('moderation_log').count<Array<{ n: number | string }>>({ n: '*' })
      expect(Number(after[0]?.n)).toBe(Number(before[0]?.n))
    })

    it('accepts 200 characters, collapses whitespace, and a custom date ends at 00:00 site time', () => {
      const now = Math.floor(START_MS / 1000)
      const input = parseBanForm({ type: 'visit', duration: 'custom', until: '2026-11-27', reason: ' 刷屏\n广告 ' }, now, TZ)
      expect(input.expiresAt).toBe(Date.UTC(2026, 10, 26, 16, 0, 0) / 1000) // 2026-11-27 00:00 GMT+8
      expect(input.reason).toBe('刷屏 广告')
      expect(parseBanForm({ type: 'post', duration: 'forever', reason: '长'.repeat(200) }, now, TZ).expiresAt).toBeNull()
      expect(parseBanForm({ type: 'post', duration: '30', reason: '理由' }, now, TZ).expiresAt).toBe(now + 30 * 86400)
    })
  })

  describe('the experience of each ban', () => {
    it('visit-ban: every page but /login and /logout says 禁止访问 with the reason and expiry; login still works', async () => {
      const member = await createUser(ctx.db.knex)
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      expect((await postBan(modAgent, member.id, { type: 'visit', duration: 'custom', until: '2026-12-01', reason: '发布广告' })).status).toBe(303)
      const agent = await login(ctx.t.agent(), member.username, member.password) // logging in works
      for (const path of ['/', '/darkroom', '/darkroom.json', `/article/${articleId}`, '/mod', '/no-such-page', `/user/${member.id}`, '/login-x', '/logout/x']) {
        const res = await agent.get(path).set('Accept', 'text/html')
        expect(res.status).toBe(403)
        expect(res.text).toContain('抱歉，您已被禁止访问')
        expect(res.text).toContain('发布广告')
        expect(res.text).toContain('2026-12-1 00:00')
      }
      const json = await agent.get('/').set('Accept', 'application/json')
      expect(json.status).toBe(403)
      expect(json.body).toMatchObject({ error: '抱歉，您已被禁止访问', reason: '发布广告', banned: 'visit' })
      const loginPage = await agent.get('/login')
      expect(loginPage.status).toBe(303) // logged in: /login sends them on, not a ban page
      const page = await ctx.t.agent().get('/login').expect(200)
      expect(page.text).toContain('登录')
      // Logging out works, with the token from the ban page's header form.
      const banPage = await agent.get('/')
      const token = /name="_csrf" value="([^"]+)"/.exec(banPage.text)?.[1] ?? ''
      await agent.post('/logout').type('form').send({ _csrf: token }).expect(303)
      await agent.get('/').expect(200)
    })

    it('post-ban: the member logs in and reads; writing is refused by can()', async () => {
      const member = await createUser(ctx.db.knex)
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      expect((await postBan(modAgent, member.id, { type: 'post', duration: '3', reason: '恶意灌水' })).status).toBe(303)
      const agent = await login(ctx.t.agent(), member.username, member.password)
      await agent.get('/').expect(200)
      await agent.get(`/article/${articleId}`).expect(200)
      await agent.get('/darkroom').expect(200)
      const row = await ctx.db.knex('users').where({ id: member.id }).first()
      const user: AuthUser = { id: member.id, username: member.username, role: 'member', createdAt: 0, postCount: 0, banType: row.ban_type, banUntil: row.ban_until, banReason: row.ban_reason }
      const now = clock.now()
      expect(can(user, { action: 'write' }, now)).toBe(false)
      expect(can(user, { action: 'edit-own', resource: { authorId: member.id } }, now)).toBe(false)
      expect(can({ ...user, role: 'moderator' }, { action: 'edit-own', resource: { authorId: 1 } }, now)).toBe(false)
      expect(can(user, { action: 'write' }, now + 3 * 86400)).toBe(true) // over by itself
    })

    it('a session opened before the ban on another app instance sees it on its next request', async () => {
      const member = await createUser(ctx.db.knex)
      const other = await ctx.secondApp()
      try {
        const memberOnA = await login(ctx.t.agent(), member.username, member.password)
        await memberOnA.get('/').expect(200)
        const modOnB = await login(other.agent(), mod.username, mod.password)
        expect((await postBan(modOnB, member.id, { type: 'visit', duration: '1', reason: '多次违规' })).status).toBe(303)
        const res = await memberOnA.get('/')
        expect(res.status).toBe(403)
        expect(res.text).toContain('抱歉，您已被禁止访问')
        // The same session cookie on instance B is banned too.
        const jar = memberOnA.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
        const header = jar.map((c) => `${c.name}=${c.value}`).join('; ')
        expect(header).not.toBe('')
        const onB = await other.agent().get('/').set('Cookie', header)
        expect(onB.status).toBe(403)
      } finally {
        await other.close()
      }
    })
  })

  describe('expiry and lifting', () => {
    it('a 1-day ban ends by itself: the member leaves the darkroom and may visit again, with no job running', async () => {
      const member = await createUser(ctx.db.knex, { username: '到期会员' })
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      expect((await postBan(modAgent, member.id, { type: 'visit', duration: '1', reason: '短期处罚' })).status).toBe(303)
      const agent = await login(ctx.t.agent(), member.username, member.password)
      await agent.get('/').expect(403)
      expect((await ctx.t.agent().get('/darkroom')).text).toContain('到期会员')
      clock.advance(86400 - 1)
      await agent.get('/').expect(403)
      clock.advance(1)
      await agent.get('/').expect(200)
      const dark = await ctx.t.agent().get('/darkroom').expect(200)
      expect(dark.text).not.toContain('到期会员')
      const json = await ctx.t.agent().get('/darkroom.json').expect(200)
      expect((json.body as { rows: Array<{ uid: number }> }).rows.map((r) => r.uid)).not.toContain(member.id)
      // The next moderation write closes the expired row as expired (at its expiry, by nobody), and it cannot be lifted.
      const expiresAt = clock.now()
      const other = await createUser(ctx.db.knex)
      expect((await postBan(modAgent, other.id, {})).status).toBe(303)
      expect(await ctx.db.knex('bans').where({ user_id: member.id }).first()).toMatchObject({ lifted_at: expiresAt, lifted_by: null, lift_reason: '到期自动解除' })
      expect((await postUnban(modAgent, member.id, '已经到期')).status).toBe(409)
      clock.advance(-86400)
    })

    it('an early lift needs a reason, ends the ban at once, is audited, and a second lift is a conflict', async () => {
      const member = await createUser(ctx.db.knex, { username: '提前释放' })
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      expect((await postBan(modAgent, member.id, { type: 'post', duration: 'forever', reason: '永久禁言' })).status).toBe(303)
      const form = await modAgent.get(`/mod/ban/${member.id}`).expect(200)
      expect(form.text).toContain('解除禁言')
      expect((await ctx.t.agent().get('/darkroom')).text).toContain('提前释放')
      expect((await postUnban(modAgent, member.id, 'x')).status).toBe(400)
      expect((await ctx.db.knex('users').where({ id: member.id }).first()).ban_type).toBe('post')
      const res = await postUnban(modAgent, member.id, '申诉成功')
      expect(res.status).toBe(303)
      const user = await ctx.db.knex('users').where({ id: member.id }).first()
      expect([user.ban_type, user.ban_until, user.ban_reason]).toEqual([null, null, null])
      const ban = await ctx.db.knex('bans').where({ user_id: member.id }).first()
      expect(ban).toMatchObject({ lifted_by: mod.id, lift_reason: '申诉成功', lifted_at: clock.now() })
      expect((await ctx.t.agent().get('/darkroom')).text).not.toContain('提前释放')
      expect((await postUnban(modAgent, member.id, '再次解除')).status).toBe(409)
      // A moderator may not lift an admin-imposed ban on a moderator either.
      expect((await postUnban(modAgent, mod2.id, '试试看')).status).toBe(403)
    })

    it('the visit-ban form offers 解除禁止访问', async () => {
      const member = await createUser(ctx.db.knex)
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      await postBan(modAgent, member.id, { type: 'visit', duration: '7' })
      expect((await modAgent.get(`/mod/ban/${member.id}`)).text).toContain('解除禁止访问')
    })

    it('a new ban replaces the current one: one open ban, the old one closed', async () => {
      const member = await createUser(ctx.db.knex)
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      await postBan(modAgent, member.id, { type: 'post', duration: '1', reason: '第一次' })
      await postBan(modAgent, member.id, { type: 'visit', duration: '30', reason: '第二次' })
      const rows = await ctx.db.knex('bans').where({ user_id: member.id }).orderBy('id')
      expect(rows).toHaveLength(2)
      expect(rows[0]).toMatchObject({ lift_reason: '被新的处罚替换', lifted_by: mod.id })
      expect(rows[1]).toMatchObject({ type: 'visit', reason: '第二次', lifted_at: null })
      expect((await ctx.db.knex('users').where({ id: member.id }).first())).toMatchObject({ ban_type: 'visit', ban_reason: '第二次' })
    })
  })

  describe('audit', () => {
    it('writes one audit row per ban and per lift, with before/after state and the request id', async () => {
      const member = await createUser(ctx.db.knex)
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      await postBan(modAgent, member.id, { type: 'visit', duration: '7', reason: '审计测试', hide_recent: '1' })
      await postUnban(modAgent, member.id, '审计解除')
      const rows = await auditRows(member.id)
      expect(rows.map((r) => r.action)).toEqual(['ban', 'lift_ban'])
      const [ban, lift] = rows
      if (ban === undefined || lift === undefined) throw new Error('missing audit rows')
      const banRow = await ctx.db.knex('bans').where({ user_id: member.id }).first()
      expect(ban).toMatchObject({ actor_id: mod.id, target_type: 'user', target_id: member.id, reason: '审计测试' })
      expect(ban.request_id).not.toBe('')
      expect(JSON.parse(ban.before_state)).toMatchObject({ ban_type: null, ban_until: null, ban_reason: null })
      expect(JSON.parse(ban.after_state)).toMatchObject({ ban_id: banRow.id, ban_type: 'visit', ban_until: clock.now() + 7 * 86400, ban_reason: '审计测试', hide_recent_content: true })
      expect(lift).toMatchObject({ actor_id: mod.id, reason: '审计解除' })
      expect(JSON.parse(lift.before_state)).toMatchObject({ ban_type: 'visit', ban_reason: '审计测试', ban_ids: [banRow.id] })
      expect(JSON.parse(lift.after_state)).toEqual({ ban_type: null, ban_until: null, ban_reason: null })
    })

    it('the on-ban hooks run inside the ban transaction and report into the audit row; a failing hook rolls the ban back', async () => {
      const member = await createUser(ctx.db.knex)
      const calls: Array<{ userId: number, hide: boolean }> = []
      const failing = { on: false }
      ctx.t.app.banHooks.add('test-hook', async (event) => {
        calls.push({ userId: event.userId, hide: event.hideRecentContent })
        if (failing.on) throw new Error('hook failed')
        return { hidden: 3 }
      })
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      await postBan(modAgent, member.id, { hide_recent: '1' })
      expect(calls).toEqual([{ userId: member.id, hide: true }])
      const [row] = await auditRows(member.id)
      expect((JSON.parse(row?.after_state ?? '{}') as { hooks?: unknown }).hooks).toEqual({ 'test-hook': { hidden: 3 } })
      failing.on = true
      const second = await createUser(ctx.db.knex)
      const res = await postBan(modAgent, second.id, {})
      expect(res.status).toBe(500)
      expect(await ctx.db.knex('bans').where({ user_id: second.id })).toHaveLength(0)
      expect((await ctx.db.knex('users').where({ id: second.id }).first()).ban_type).toBeNull()
      expect(await auditRows(second.id)).toHaveLength(0)
      failing.on = false
    })

    it('/mod shows active bans, the review queue link and the audit log with filters and keyset paging', async () => {
      const member = await createUser(ctx.db.knex, { username: '被筛选者' })
      const modAgent = await login(ctx.t.agent(), mod.username, mod.password)
      await postBan(modAgent, member.id, { reason: '筛选测试' })
      const page = await modAgent.get('/mod').expect(200)
      expect(page.text).toContain('href="/mod/comments"')
      expect(page.text).toContain('当前处罚')
      expect(page.text).toContain('筛选测试')
      const byMember = await modAgent.get('/mod?member=' + encodeURIComponent('被筛选者')).expect(200)
      expect((byMember.text.match(/<td>筛选测试<\/td>/g) ?? []).length).toBe(2) // active ban row + one audit row
      const byAction = await modAgent.get('/mod?action=lift_ban&member=' + encodeURIComponent('被筛选者')).expect(200)
      expect(byAction.text).toContain('没有符合条件的操作记录')
      const unknown = await modAgent.get('/mod?moderator=nobody_here').expect(200)
      expect(unknown.text).toContain('找不到用户：nobody_here')
      // Keyset paging: 35 entries by one moderator, 30 a page.
      const pager = await createUser(ctx.db.knex, { username: '翻页版主', role: 'moderator' })
      for (let i = 0; i < 35; i++) {
        await auditLog(ctx.db.knex).record({ actorId: pager.id, action: 'comment_delete', targetType: 'comment', targetId: 1000 + i, targetUserId: member.id, reason: `翻页${i}号`, at: clock.now() })
      }
      const byMod = await modAgent.get('/mod?moderator=' + encodeURIComponent('翻页版主')).expect(200)
      expect((byMod.text.match(/翻页\d+号/g) ?? [])).toHaveLength(30)
      expect(byMod.text).toContain('翻页34号')
      expect(byMod.text).not.toContain('翻页4号<')
      const more = /href="(\/mod\?moderator=[^"]*before=\d+)#audit-log"/.exec(byMod.text)
      expect(more).not.toBeNull()
      const next = await modAgent.get((more?.[1] ?? '').replace(/&amp;/g, '&')).expect(200)
      expect((next.text.match(/翻页\d+号/g) ?? [])).toEqual(['翻页4号', '翻页3号', '翻页2号', '翻页1号', '翻页0号'])
      expect(next.text).not.toContain('#audit-log" class="pn pn-light">更多')
    })
  })
})
