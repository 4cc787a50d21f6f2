import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { siteMidnight } from '../../src/lib/dates'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'

describe.each(dialects)('操作记录 /admin/log on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let mod: CreatedUser
  let member: CreatedUser
  let agent: supertest.Agent
  const tz = 'Asia/Shanghai'
  const nov10 = siteMidnight(2026, 11, 10, tz)
  const nov20 = siteMidnight(2026, 11, 20, tz)

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin', username: 'zhanzhang' })
    mod = await createUser(ctx.db.knex, { role: 'moderator', username: 'banzhu' })
    member = await createUser(ctx.db.knex, { username: 'xiaoming' })
    const audit = auditLog(ctx.db.knex)
    await ctx.db.knex.transaction(async (trx) => {
      await audit.record({ actorId: admin.id, action: 'settings_update', targetType: 'setting', targetId: 0, before: { site_name: '旧名' }, after: { site_name: '<b>新名</b>' }, requestId: 'req1', at: nov10 + 3600 }, trx)
      await audit.record({ actorId: mod.id, action: 'ban', targetType: 'user', targetId: member.id, targetUserId: member.id, reason: '广告', after: { type: 'post' }, at: nov10 + 7200 }, trx)
      await audit.record({ actorId: admin.id, action: 'page_edit', targetType: 'page', targetId: 3, before: { title: 'a' }, after: { title: 'b' }, at: nov20 + 60 }, trx)
      // Enough rows for two pages of 30.
      for (let i = 0; i < 32; i++) await audit.record({ actorId: mod.id, action: 'comment_delete', targetType: 'comment', targetId: 100 + i, targetUserId: member.id, at: nov20 + 120 + i }, trx)
    })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  const ids = (html: string): number[] => [...html.matchAll(/<tr id="log-(\d+)">/g)].map((m) => Number(m[1]))

  it('shows every row newest first with before/after pretty-printed and escaped, in keyset pages', async () => {
    const first = await agent.get('/admin/log').expect(200)
    expect(first.text).toContain('<a href="/admin/log" aria-current="page">操作记录</a>')
    const page1 = ids(first.text)
    expect(page1).toHaveLength(30)
    expect([...page1].sort((a, b) => b - a)).toEqual(page1)
    const next = /href="(\/admin\/log\?before=\d+)"/.exec(first.text)?.[1]
    expect(next).toBeDefined()
    const second = await agent.get(next ?? '').expect(200)
    const page2 = ids(second.text)
    expect(page2).toHaveLength(5)
    expect(Math.max(...page2)).toBeLessThan(Math.min(...page1))
    expect(second.text).not.toContain('更早的记录')
    expect(second.text).toContain('{\n  &quot;site_name&quot;: &quot;&lt;b&gt;新名&lt;/b&gt;&quot;\n}')
    expect(second.text).not.toContain('<b>新名</b>')
    expect(second.text).toContain('站点设置')
  })

  it('filters by actor, action, member and date range; the next link keeps the filter', async () => {
    const byActor = ids((await agent.get('/admin/log?actor=zhanzhang').expect(200)).text)
    expect(byActor).toHaveLength(2)
    const byAction = await agent.get('/admin/log?action=ban').expect(200)
    expect(ids(byAction.text)).toHaveLength(1)
    expect(byAction.text).toContain('广告')
    expect(byAction.text).toContain('<option value="ban" selected>禁止</option>')
    const byMember = await agent.get('/admin/log?member=xiaoming').expect(200)
    expect(ids(byMember.text)).toHaveLength(30)
    expect(byMember.text).toMatch(/href="\/admin\/log\?member=xiaoming&amp;before=\d+"/)
    expect(ids((await agent.get('/admin/log?from=2026-11-10&to=2026-11-10').expect(200)).text)).toHaveLength(2)
    expect(ids((await agent.get('/admin/log?from=2026-11-11&to=2026-11-19').expect(200)).text)).toHaveLength(0)
    expect(ids((await agent.get('/admin/log?actor=zhanzhang&from=2026-11-20').expect(200)).text)).toHaveLength(1)
  })

  it('says what is wrong with a filter instead of guessing', async () => {
    const bad = await agent.get('/admin/log?from=2026-13-01').expect(200)
    expect(bad.text).toContain('开始日期应为 年-月-日')
    expect(ids(bad.text)).toHaveLength(0)
    const reversed = await agent.get('/admin/log?from=2026-11-20&to=2026-11-10').expect(200)
    expect(reversed.text).toContain('结束日期不能早于开始日期')
    const unknown = await agent.get('/admin/log?actor=nobody').expect(200)
    expect(unknown.text).toContain('没有找到会员“nobody”')
    expect((await agent.get(`/admin/log?actor=${'x'.repeat(65)}`)).status).toBe(400)
  })

  it('records the admin centre\'s own actions: a rename made in /admin/reactions appears here', async () => {
    const token = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/admin/reactions')).text)?.[1] ?? ''
    await agent.post('/admin/reactions/woshou').type('form').send({ _csrf: token, name: '握个手', icon: '/static/img/reactions/woshou.svg', enabled: '1' }).expect(303)
    const res = await agent.get('/admin/log?action=reaction_kind_update').expect(200)
    expect(ids(res.text)).toHaveLength(1)
    expect(res.text).toContain('修改表态')
    expect(res.text).toContain('&quot;name&quot;: &quot;握个手&quot;')
  })

  it.each(['guest', 'member', 'moderator'] as const)('refuses a %s (moderators keep /mod)', async (who) => {
    const user = who === 'guest' ? null : who === 'moderator' ? mod : await createUser(ctx.db.knex)
    const a = user === null ? ctx.t.agent() : await login(ctx.t.agent(), user.username, user.password)
    expect((await a.get('/admin/log')).status).toBe(who === 'guest' ? 401 : 403)
    if (who === 'moderator') expect((await a.get('/mod')).status).toBe(200)
  })
})
