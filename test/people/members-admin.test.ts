import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { usersRepository } from '../../src/features/members/repository'
import { reconcileCommentCounts } from '../../src/features/comments/cli'
import { ipHash } from '../../src/lib/visitor'
import type { AuthUser } from '../../src/lib/permissions'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, LOCAL_CLIENTS_UNLIMITED, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'

/** 用户管理 (/admin/members): who may use it, search, role, password reset, lock, delete a spammer. */
describe.each(dialects)('用户管理 on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let adminAgent: supertest.Agent

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin', username: 'siteowner' })
    adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  const post = async (agent: supertest.Agent, url: string, fields: Record<string, string>): Promise<supertest.Response> =>
    await agent.post(url).type('form').send({ _csrf: await csrfToken(agent, '/'), ...fields })
  const auditRows = async (action: string): Promise<Array<{ before_state: string | null, after_state: string | null, target_user_id: number | null }>> =>
    await ctx.db.knex('moderation_log').where({ action }).orderBy('id').select('before_state', 'after_state', 'target_user_id')
  const userRow = async (id: number): Promise<Record<string, unknown>> => await ctx.db.knex('users').where({ id }).first('role', 'locked_at', 'lock_reason', 'must_change_password', 'ban_type', 'password_hash')

  it('refuses guests, members and moderators on every 用户管理 page and form, changing nothing', async () => {
    const target = await createUser(ctx.db.knex)
    const member = await createUser(ctx.db.knex)
    const moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    const snapshot = async (): Promise<unknown> => ({
      users: await ctx.db.knex('users').orderBy('id').select('id', 'role', 'locked_at', 'must_change_password', 'ban_type', 'password_hash'),
      ipBans: await ctx.db.knex('ip_bans').count({ n: '*' }),
      audit: (await auditLog(ctx.db.knex).list({}, 500)).length
    })
    const before = await snapshot()
    for (const who of [null, member, moderator]) {
      const agent = who === null ? ctx.t.agent() : await login(ctx.t.agent(), who.username, who.password)
      const expected = who === null ? 401 : 403
      for (const url of ['/admin/members', `/admin/members/${target.id}`, '/admin/members?q=abc', '/admin/ip-bans']) {
        expect({ url, status: (await agent.get(url)).status }).toEqual({ url, status: expected })
      }
      const token = await csrfToken(agent, who === null ? '/login' : '/')
      const forms: Array<[string, Record<string, string>]> = [
        [`/admin/members/${target.id}/role`, { role: 'admin' }],
        [`/admin/members/${target.id}/password`, { password: 'newpass123', password2: 'newpass123' }],
        [`/admin/members/${target.id}/lock`, { reason: '测试锁定' }],
        [`/admin/members/${target.id}/spammer`, { reason: '垃圾广告', confirm: '1' }],
        ['/admin/ip-bans', { range: '203.0.113.0/24', reason: '攻击', duration: 'forever' }]
      ]
      for (const [url, body] of forms) {
        const res = await agent.post(url).type('form').send({ _csrf: token, ...body })
        expect({ url, status: res.status }).toEqual({ url, status: expected })
      }
    }
    expect(await snapshot()).toEqual(before)
  })

  it('searches by name prefix, e-mail, uid and the IP a member commented from, paging by keyset', async () => {
    const made: CreatedUser[] = []
    for (let i = 0; i < 33; i++) made.push(await createUser(ctx.db.knex, { username: `zhang${String(i).padStart(2, '0')}`, email: `zhang${i}@example.com` }))
    const list = await adminAgent.get('/admin/members?q=Zhang').expect(200)
    expect(list.text).toContain('用户名开头为')
    expect((list.text.match(/href="\/admin\/members\/\d+"/g) ?? []).length).toBe(30)
    expect(list.text).toContain('zhang32')
    expect(list.text).not.toContain('zhang02<')
    const next = /href="\/admin\/members\?q=Zhang&amp;before=(\d+)"/.exec(list.text)
    expect(next).not.toBeNull()
    const page2 = await adminAgent.get(`/admin/members?q=Zhang&before=${next?.[1] ?? ''}`).expect(200)
    expect((page2.text.match(/href="\/admin\/members\/\d+"/g) ?? []).length).toBe(3)
    expect(page2.text).toContain('zhang00')
    expect(page2.text).not.toContain('下一页')
    // LIKE's own characters are literal: "zhang_" is no prefix of any name.
    expect((await adminAgent.get('/admin/members?q=zhang_').expect(200)).text).toContain('没有找到符合条件的会员')

    const byEmail = await adminAgent.get('/admin/members?q=ZHANG7@example.com').expect(200)
    expect((byEmail.text.match(/href="\/admin\/members\/\d+"/g) ?? []).length).toBe(1)
    expect(byEmail.text).toContain('zhang07')
    expect((await adminAgent.get(`/admin/members?q=${made[5]?.id ?? 0}`).expect(200)).text).toContain('zhang05')

    const articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: admin.id })
    const hash = ipHash(ctx.t.config.sessionSecret, '198.51.100.77')
    await ctx.db.knex('comments').insert([
      { article_id: articleId, author_id: made[3]?.id, status: 'visible', body: '一', created_at: 1, ip_hash: hash },
      { article_id: articleId, author_id: made[4]?.id, status: 'visible', body: '二', created_at: 2, ip_hash: hash },
      { article_id: articleId, author_id: made[6]?.id, status: 'visible', body: '三', created_at: 3, ip_hash: 'other' }
    ])
    await ctx.db.knex('articles').where({ id: articleId }).update({ comment_count: 3 })
    for (const q of ['198.51.100.77', hash]) {
      const res = await adminAgent.get(`/admin/members?q=${encodeURIComponent(q)}`).expect(200)
      const names = [...res.text.matchAll(/href="\/admin\/members\/\d+">([^<]+)</g)].map((m) => m[1])
      expect(names).toEqual(['zhang04', 'zhang03'])
    }
  })

  it('changes a role (audited before/after); the role list comes from permissions.ts; an admin cannot change their own', async () => {
    const target = await createUser(ctx.db.knex)
    const page = await adminAgent.get(`/admin/members/${target.id}`).expect(200)
    expect(page.text).toContain('<option value="moderator">版主</option>')
    expect(page.text).toContain('<option value="admin">管理员</option>')
    const res = await post(adminAgent, `/admin/members/${target.id}/role`, { role: 'moderator' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/admin/members/${target.id}?done=role`)
    expect((await userRow(target.id)).role).toBe('moderator')
    const rows = (await auditRows('member_role')).filter((r) => r.target_user_id === target.id)
    expect(rows).toHaveLength(1)
    expect(JSON.parse(rows[0]?.before_state ?? '')).toEqual({ role: 'member' })
    expect(JSON.parse(rows[0]?.after_state ?? '')).toEqual({ role: 'moderator' })
    expect((await adminAgent.get(`/admin/members/${target.id}?done=role`)).text).toContain('用户组已修改')

    expect((await post(adminAgent, `/admin/members/${target.id}/role`, { role: 'superuser' })).status).toBe(403)
    expect((await post(adminAgent, `/admin/members/${admin.id}/role`, { role: 'member' })).status).toBe(403)
    expect((await userRow(admin.id)).role).toBe('admin')
    expect((await post(adminAgent, '/admin/members/999999/role', { role: 'member' })).status).toBe(404)
  })

  it('resets a password: sessions end, the next login goes to /settings and other pages refuse until a new one is set', async () => {
    const target = await createUser(ctx.db.knex, { password: 'oldpassword1' })
    const theirs = await login(ctx.t.agent(), target.username, 'oldpassword1')
    expect((await theirs.get('/settings')).status).toBe(200)

    const bad = await post(adminAgent, `/admin/members/${target.id}/password`, { password: 'short', password2: 'short' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('密码')
    expect(Boolean((await userRow(target.id)).must_change_password)).toBe(false)

    const res = await post(adminAgent, `/admin/members/${target.id}/password`, { password: 'temporary99', password2: 'temporary99' })
    expect(res.status).toBe(303)
    expect(Boolean((await userRow(target.id)).must_change_password)).toBe(true)
    expect((await theirs.get('/settings')).status).toBe(303) // the old session ended: /settings sends to the login
    const audit = (await auditRows('member_password_reset')).filter((r) => r.target_user_id === target.id)
    expect(audit).toHaveLength(1)
    expect(audit[0]?.after_state).not.toContain('temporary99')
    expect(JSON.parse(audit[0]?.after_state ?? '')).toMatchObject({ must_change_password: true, sessions_ended: 1 })

    const agent = ctx.t.agent()
    const form = await agent.get('/login').expect(200)
    const loginRes = await agent.post('/login').type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1], login: target.username, password: 'temporary99' })
    expect(loginRes.status).toBe(303)
    expect(loginRes.headers.location).toBe('/settings')
    expect((await agent.get('/settings').expect(200)).text).toContain('管理员已重置您的密码')
    const home = await agent.get('/')
    expect(home.status).toBe(303)
    expect(home.headers.location).toBe('/settings')
    const logout = await agent.post('/logout').type('form').send({ _csrf: await csrfToken(agent, '/settings') })
    expect(logout.status).toBe(303) // logging out stays possible
    await login(agent, target.username, 'temporary99')
    const token = await csrfToken(agent, '/settings')
    expect((await agent.post('/mod/ban/1').type('form').send({ _csrf: token })).status).toBe(403)
    const changed = await agent.post('/settings').type('form').send({ _csrf: token, form: 'password', oldPassword: 'temporary99', password: 'brandnew123', password2: 'brandnew123' })
    expect(changed.status).toBe(303)
    expect(Boolean((await userRow(target.id)).must_change_password)).toBe(false)
    expect((await agent.get('/').expect(200)).status).toBe(200)
  })

  it('locks an account: its sessions end, login says so in Chinese (after the right password only), unlock restores it', async () => {
    const target = await createUser(ctx.db.knex, { password: 'lockedpass1' })
    const theirs = await login(ctx.t.agent(), target.username, 'lockedpass1')
    expect((await post(adminAgent, `/admin/members/${target.id}/lock`, { reason: 'x' })).status).toBe(400)
    expect((await userRow(target.id)).locked_at).toBeNull()
    const res = await post(adminAgent, `/admin/members/${target.id}/lock`, { reason: '盗号嫌疑' })
    expect(res.status).toBe(303)
    expect((await userRow(target.id)).locked_at).not.toBeNull()
    expect((await theirs.get('/settings')).status).toBe(303)

    const agent = ctx.t.agent()
    const form = await agent.get('/login')
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1]
    const wrong = await agent.post('/login').type('form').send({ _csrf: token, login: target.username, password: 'wrongpass99' })
    expect(wrong.status).toBe(400)
    expect(wrong.text).not.toContain('锁定')
    const right = await agent.post('/login').type('form').send({ _csrf: token, login: target.username, password: 'lockedpass1' })
    expect(right.status).toBe(403)
    expect(right.text).toContain('该账号已被管理员锁定，无法登录')
    expect((await agent.get('/settings')).status).toBe(303)

    const page = await adminAgent.get(`/admin/members/${target.id}`)
    expect(page.text).toContain('已锁定')
    expect(page.text).toContain('盗号嫌疑')
    expect((await post(adminAgent, `/admin/members/${target.id}/lock`, { reason: '再锁一次' })).status).toBe(400)
    expect((await post(adminAgent, `/admin/members/${admin.id}/lock`, { reason: '锁自己' })).status).toBe(400)
    expect((await userRow(admin.id)).locked_at).toBeNull()
    expect((await post(adminAgent, `/admin/members/${target.id}/unlock`, { reason: '误会已澄清' })).status).toBe(303)
    await login(ctx.t.agent(), target.username, 'lockedpass1')
    const audit = (await auditRows('member_lock')).filter((r) => r.target_user_id === target.id)
    expect(audit).toHaveLength(1)
    expect(JSON.parse(audit[0]?.before_state ?? '')).toMatchObject({ locked_at: null })
    expect((await auditRows('member_unlock')).filter((r) => r.target_user_id === target.id)).toHaveLength(1)
  })

  it('deletes a spammer: every comment, thread and reply hidden, banned for ever, one audit row, counters equal to rows', async () => {
    const now = ctx.t.clock.now()
    const spammer = await createUser(ctx.db.knex, { createdAt: now - 400 * 86400 })
    const other = await createUser(ctx.db.knex, { createdAt: now - 400 * 86400 })
    const authUser = async (id: number): Promise<AuthUser> => {
      const u = await usersRepository(ctx.db.knex).findAuthUser(id)
      if (u === null) throw new Error('no user')
      return u
    }
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const forum = ctx.t.app.forum
    const own = await forum.createThread(await authUser(spammer.id), boardId, { title: '广告主题', body: '买买买，很久以前发的' }, now - 200 * 86400)
    const theirs = await forum.createThread(await authUser(other.id), boardId, { title: '正常主题', body: '大家好，讨论一下' }, now - 100 * 86400)
    await forum.reply(await authUser(spammer.id), theirs.threadId, { body: '广告回帖，点击链接' }, now - 90 * 86400)
    await forum.reply(await authUser(other.id), theirs.threadId, { body: '正常回复一下' }, now - 80 * 86400)
    await forum.reply(await authUser(other.id), own.threadId, { body: '回复广告主题' }, now - 70 * 86400)
    const articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: other.id })
    await ctx.db.knex('comments').insert([
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '老广告', created_at: now - 300 * 86400 },
      { article_id: articleId, author_id: spammer.id, status: 'visible', body: '新广告', created_at: now - 60 },
      { article_id: articleId, author_id: other.id, status: 'visible', body: '正常评论', created_at: now - 30 }
    ])
    await ctx.db.knex('articles').where({ id: articleId }).update({ comment_count: 3 })

    const pageBefore = await adminAgent.get(`/admin/members/${spammer.id}`).expect(200)
    expect(pageBefore.text).toContain('广告主题</a>')
    expect(pageBefore.text).toContain(`回复 <a href="/thread/${theirs.threadId}">正常主题</a>`)

    const refused = await post(adminAgent, `/admin/members/${spammer.id}/spammer`, { reason: '垃圾广告' })
    expect(refused.status).toBe(400) // not confirmed: nothing done
    expect((await userRow(spammer.id)).ban_type).toBeNull()

    const res = await post(adminAgent, `/admin/members/${spammer.id}/spammer`, { reason: '垃圾广告', confirm: '1' })
    expect(res.status).toBe(303)
    const row = await ctx.db.knex('users').where({ id: spammer.id }).first('ban_type', 'ban_until', 'post_count')
    expect(row).toMatchObject({ ban_type: 'visit', ban_until: null })
    expect(await ctx.db.knex('comments').where({ author_id: spammer.id, status: 'visible' }).count({ n: '*' }).first()).toMatchObject({ n: 0 })
    expect(await ctx.db.knex('threads').where({ author_id: spammer.id }).whereNot({ status: 'deleted' }).count({ n: '*' }).first()).toMatchObject({ n: 0 })
    expect(await ctx.db.knex('posts').where({ author_id: spammer.id, status: 'visible' }).where('position', '>', 1).count({ n: '*' }).first()).toMatchObject({ n: 0 })
    expect(await ctx.db.knex('comments').where({ author_id: other.id, status: 'visible' }).count({ n: '*' }).first()).toMatchObject({ n: 1 })
    expect((await ctx.db.knex('articles').where({ id: articleId }).first('comment_count'))?.comment_count).toBe(1)
    const audit = await auditRows('spammer_delete')
    expect(audit).toHaveLength(1)
    expect(JSON.parse(audit[0]?.after_state ?? '')).toMatchObject({
      ban_type: 'visit', ban_until: null, hooks: { comments: { hiddenComments: 2 }, forum: { hiddenThreads: 1, hiddenPosts: 1 } }
    })

    const after = await adminAgent.get(`/admin/members/${spammer.id}`).expect(200)
    expect(after.text).toContain('<span class="people-flag">已删除</span>')
    expect(after.text).toContain('<span class="people-flag">禁止访问</span> 永久')
    expect(after.text).toContain('删除垃圾用户</td>')

    // Counters equal rows: the reconcilers find nothing to change.
    expect((await reconcileCommentCounts(ctx.db.knex, false)).drifted).toEqual([])
    const counters = async (): Promise<unknown> => ({
      boards: await ctx.db.knex('boards').orderBy('id').select('id', 'thread_count', 'post_count'),
      threads: await ctx.db.knex('threads').orderBy('id').select('id', 'reply_count'),
      users: await ctx.db.knex('users').orderBy('id').select('id', 'post_count')
    })
    const before = await counters()
    await forum.reconcile(ctx.t.clock.now())
    expect(await counters()).toEqual(before)

    // Admins cannot be deleted as spammers (demote first); nothing changes.
    const otherAdmin = await createUser(ctx.db.knex, { role: 'admin' })
    const no = await post(adminAgent, `/admin/members/${otherAdmin.id}/spammer`, { reason: '垃圾广告', confirm: '1' })
    expect(no.status).toBe(400)
    expect(no.text).toContain('不能对管理员进行此操作')
    expect((await userRow(otherAdmin.id)).ban_type).toBeNull()
  })
})
