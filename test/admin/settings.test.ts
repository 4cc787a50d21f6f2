import { auditLog } from '../../src/features/moderation/audit'
import { dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { postSettings, settingsWith, VALID_SETTINGS } from './helpers'

async function storedSettings (db: TestDatabase): Promise<Record<string, string>> {
  const rows = await db.knex('settings').select<Array<{ key: string, value: string }>>('key', 'value')
  return Object.fromEntries(rows.map((r) => [r.key, r.value]))
}

describe.each(dialects)('站点设置 /admin/settings on %s', (dialect) => {
  // Every test logs the admin in: more logins from one address than the login limit lets through.
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
  })

  it('shows every setting in groups, with the footer rows and an empty row to add', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const res = await agent.get('/admin/settings').expect(200)
    for (const text of ['基本信息', '备案与举报', '页脚链接', '功能开关', '防灌水', 'name="site_name"', 'name="registration_open"', 'name="view_dedupe_hours"', '新链接文字']) {
      expect(res.text).toContain(text)
    }
    expect(res.text).toContain('value="/darkroom"')
    expect(res.text).toContain('class="a"><a href="/admin/settings"')
  })

  const badFields: Array<[string, Record<string, string>, string]> = [
    ['site_name', { site_name: '' }, '站点名称不能为空'],
    ['site_name', { site_name: '名'.repeat(41) }, '站点名称最多 40 个字符'],
    ['site_url', { site_url: 'ftp://x.example.com' }, '站点网址须以 http:// 或 https:// 开头'],
    ['site_url (with a query)', { site_url: 'https://x.example.com/?from=a' }, '站点网址须以 http:// 或 https:// 开头，不带 ? 和 #'],
    ['site_hotline', { site_hotline: '打电话' }, '服务热线只能包含数字'],
    ['site_copyright', { site_copyright: '' }, '版权信息不能为空'],
    ['site_icp', { site_icp: 'x'.repeat(41) }, 'ICP 备案号最多 40 个字符'],
    ['report_email', { report_email: 'not-an-email' }, '举报邮箱格式不正确'],
    ['report_phone', { report_phone: '请拨打110' }, '举报电话只能包含数字、空格和 + - ( )'],
    ['report_phone (too long)', { report_phone: '1'.repeat(41) }, '举报电话最多 40 个字符'],
    ['site_police_record', { site_police_record: '粤公网安备 ' + '4'.repeat(40) + '号' }, '公安备案号最多 40 个字符'],
    ['search_per_minute (zero)', { search_per_minute: '0' }, '每分钟搜索次数上限须为 1 到 1000 之间的整数'],
    ['search_per_minute (not a number)', { search_per_minute: '十次' }, '每分钟搜索次数上限须为 1 到 1000 之间的整数'],
    ['captcha_login_failures (above 5)', { captcha_login_failures: '6' }, '登录失败几次后需要验证码须为 0 到 5 之间的整数'],
    ['captcha_login_failures (negative)', { captcha_login_failures: '-1' }, '登录失败几次后需要验证码须为 0 到 5 之间的整数'],
    ['comment_max_length', { comment_max_length: '5' }, '评论最大长度须为 10 到 10000 之间的整数'],
    ['reactions_daily_cap', { reactions_daily_cap: 'abc' }, '每人每日表态上限须为 1 到 10000 之间的整数'],
    ['view_dedupe_hours', { view_dedupe_hours: '-1' }, '浏览量去重时长须为 0 到 168 之间的整数'],
    ['footer link text', { link_label: '字'.repeat(21), link_url: '/x' }, '链接文字最多 20 个字符'],
    ['footer link url', { link_label: '坏链接', link_url: 'javascript:alert(1)' }, '链接地址须为本站路径'],
    ['footer link url (another host)', { link_label: '坏链接', link_url: '//evil.example.com' }, '链接地址须为本站路径'],
    ['footer link without text', { link_label: '', link_url: '/page/help' }, '链接文字不能为空']
  ]

  it.each(badFields)('refuses a bad %s with its message next to it, saves nothing, keeps what was typed', async (_name, override, message) => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const before = await storedSettings(ctx.db)
    // A good change alongside the bad field: it must not be saved either (one transaction, all or nothing).
    const res = await postSettings(agent, settingsWith({ site_hotline: '0754-0000 0000', ...override }))
    expect(res.status).toBe(400)
    expect(res.text).toContain(message)
    expect(res.text).toContain('设置没有保存')
    for (const value of Object.values(override)) if (value !== '') expect(res.text).toContain(value.replace(/&/g, '&amp;'))
    expect(await storedSettings(ctx.db)).toEqual(before)
  })

  it('saves a valid form in one go, writes one audit row with before/after of the changed keys, and the footer shows it', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const res = await postSettings(agent, settingsWith({ site_name: '濠江新社区' }))
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/admin/settings?saved=1')
    const stored = await storedSettings(ctx.db)
    expect(stored.site_name).toBe('濠江新社区')
    expect(JSON.parse(stored.footer_links ?? '')).toEqual([{ label: '关于我们', url: '/page/about' }, { label: '小黑屋', url: '/darkroom' }])
    expect(stored.archiver_redirect).toBe('0') // an unticked box is off
    const [row] = await auditLog(ctx.db.knex).list({ action: 'settings_update' }, 5)
    expect(row?.actor_id).toBe(admin.id)
    expect(row?.target_type).toBe('setting')
    const before = JSON.parse(row?.before_state ?? '{}') as Record<string, unknown>
    const after = JSON.parse(row?.after_state ?? '{}') as Record<string, unknown>
    expect(before.site_name).toBeNull() // a default never stored before
    expect(after.site_name).toBe('濠江新社区')
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain('<a href="/page/about">关于我们</a>')
    expect(home.text).toContain('濠江新社区')
    expect(home.text).toContain('<a class="beian" href="https://beian.miit.gov.cn/"')
    expect(home.text).toContain('href="https://beian.mps.gov.cn/#/query/webSearch?code=44050702000001"')

    // Saving the same form again changes nothing and records nothing.
    const count = (await auditLog(ctx.db.knex).list({ action: 'settings_update' }, 50)).length
    expect((await postSettings(agent, settingsWith({ site_name: '濠江新社区' }))).status).toBe(303)
    expect((await auditLog(ctx.db.knex).list({ action: 'settings_update' }, 50)).length).toBe(count)

    // Another change: before is the previous value.
    expect((await postSettings(agent, settingsWith({ site_name: '濠江社区' }))).status).toBe(303)
    const [latest] = await auditLog(ctx.db.knex).list({ action: 'settings_update' }, 1)
    expect(JSON.parse(latest?.before_state ?? '{}')).toEqual({ site_name: '濠江新社区' })
    expect(JSON.parse(latest?.after_state ?? '{}')).toEqual({ site_name: '濠江社区' })
  })

  it('moves and deletes footer rows without JavaScript (the form again, nothing saved until 保存)', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const before = await storedSettings(ctx.db)
    const fields = settingsWith({ link_label: '\u0000drop', link_url: '\u0000drop' })
    const rows: Array<readonly [string, string]> = [['link_label', '甲'], ['link_url', '/a'], ['link_label', '乙'], ['link_url', '/b'], ['link_label', '丙'], ['link_url', '/c']]
    const moved = await postSettings(agent, [...fields, ...rows, ['op', 'up:2']])
    expect(moved.status).toBe(200)
    const order = (html: string): string[] => [...html.matchAll(/name="link_label" value="([^"]+)"/g)].map((m) => m[1] ?? '')
    expect(order(moved.text)).toEqual(['甲', '丙', '乙'])
    const deleted = await postSettings(agent, [...fields, ...rows, ['op', 'delete:0']])
    expect(order(deleted.text)).toEqual(['乙', '丙'])
    const down = await postSettings(agent, [...fields, ...rows, ['op', 'down:0']])
    expect(order(down.text)).toEqual(['乙', '甲', '丙'])
    expect(await storedSettings(ctx.db)).toEqual(before)
  })

  it('closes registration with 开放注册 off: /register refuses in Chinese, and opens again', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    expect((await postSettings(agent, settingsWith({ registration_open: '\u0000drop' }))).status).toBe(303)
    const guest = ctx.t.agent()
    const page = await guest.get('/register')
    expect(page.status).toBe(403)
    expect(page.text).toContain('本站暂时关闭注册')
    const token = /name="_csrf" value="([^"]+)"/.exec((await guest.get('/login')).text)?.[1] ?? ''
    const post = await guest.post('/register').type('form').send({ _csrf: token, username: 'newbie1', email: 'newbie1@example.com', password: 'password123', password2: 'password123' })
    expect(post.status).toBe(403)
    expect(await ctx.db.knex('users').where('username', 'newbie1').first()).toBeUndefined()
    expect((await postSettings(agent, VALID_SETTINGS)).status).toBe(303)
    await ctx.t.agent().get('/register').expect(200)
  })

  it('shows a change made on one instance on another instance\'s next page within a second', async () => {
    const second = await buildTestApp(ctx.db, { knex: ctx.db.connect() })
    try {
      // The second instance has read (and cached) the settings.
      expect((await second.agent().get('/').expect(200)).text).not.toContain('/page/jobs')
      const agent = await login(ctx.t.agent(), admin.username, admin.password)
      expect((await postSettings(agent, settingsWith({ link_label: '诚聘英才', link_url: '/page/jobs' }))).status).toBe(303)
      // Within its cache interval the second still shows what it had …
      second.clock.advance(0.5)
      expect((await second.agent().get('/').expect(200)).text).not.toContain('/page/jobs')
      // … and after the documented second, its next page has the new footer.
      second.clock.advance(0.6)
      expect((await second.agent().get('/').expect(200)).text).toContain('<a href="/page/jobs">诚聘英才</a>')
    } finally {
      await second.close()
    }
  })
})
