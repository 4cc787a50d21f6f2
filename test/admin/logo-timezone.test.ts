import sharp from 'sharp'
import { dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, csrfFrom, csrfToken, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { formatDateTime } from '../../src/lib/dates'
import { isTimeZone, effectiveTimeZone } from '../../src/lib/time-zone'
import { postSettings, settingsWith } from './helpers'

async function setting (db: TestDatabase, key: string): Promise<string | undefined> {
  const row = await db.knex('settings').where({ key }).first<{ value: string } | undefined>('value')
  return row?.value
}

async function auditRows (db: TestDatabase): Promise<number> {
  const row = await db.knex('moderation_log').count<Array<{ n: number | string }>>({ n: '*' }).first()
  return Number(row?.n ?? 0)
}

/** The logo form's action (its token rides in the URL, as multipart bodies are read after the check). */
function logoAction (html: string): string {
  const m = /<form method="post" action="(\/admin\/settings\/logo\?_csrf=[^"]+)" enctype="multipart\/form-data"/.exec(html)
  if (m?.[1] === undefined) throw new Error('no logo form')
  return m[1].replace(/&amp;/g, '&')
}

describe('time zone names (src/lib/time-zone.ts)', () => {
  it('accepts IANA zones, refuses offsets and junk, and falls back to the default', () => {
    for (const ok of ['Asia/Shanghai', 'UTC', 'America/Argentina/Buenos_Aires', 'Europe/London']) expect(isTimeZone(ok)).toBe(true)
    for (const bad of ['', 'Mars/Olympus', '+08:00', 'Asia/Shanghai; DROP', 'asia shanghai', 'x'.repeat(70)]) expect(isTimeZone(bad)).toBe(false)
    expect(effectiveTimeZone('', 'Asia/Shanghai')).toBe('Asia/Shanghai')
    expect(effectiveTimeZone('Mars/Olympus', 'Asia/Shanghai')).toBe('Asia/Shanghai')
    expect(effectiveTimeZone(' Europe/London ', 'Asia/Shanghai')).toBe('Europe/London')
  })
})

describe.each(dialects)('站点 Logo, 时区 and the 公安 badge on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
  })

  it('an admin uploads a logo from 站点设置: the header shows it to guests; 恢复默认 brings the default back; each is audited', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const form = await agent.get('/admin/settings').expect(200)
    expect(form.text).toContain('站点 Logo')
    expect(form.text).not.toContain('恢复默认')
    const png = await sharp({ create: { width: 120, height: 40, channels: 3, background: '#2266aa' } }).png().toBuffer()
    const audits = await auditRows(ctx.db)
    const posted = await agent.post(logoAction(form.text)).attach('file', png, { filename: 'logo.png', contentType: 'image/png' }).expect(303)
    expect(posted.headers.location).toBe('/admin/settings?saved=logo')
    const url = await setting(ctx.db, 'site_logo')
    expect(url).toMatch(/^\/uploads\/[0-9a-f/]+-m\.png$/)
    expect(await auditRows(ctx.db)).toBe(audits + 1)
    const audit = await ctx.db.knex('moderation_log').orderBy('id', 'desc').first<{ action: string, before_state: string | null }>()
    expect(audit.action).toBe('settings_update')
    expect(audit.before_state).toContain('site_logo')

    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain(`<img src="${url ?? ''}" alt="" width="40" height="40">`)
    expect(home.text).not.toContain('<img src="/static/img/logo.svg"')
    const image = await ctx.t.agent().get(url ?? '').expect(200)
    expect(image.headers['content-type']).toBe('image/png')

    const saved = await agent.get('/admin/settings?saved=logo').expect(200)
    expect(saved.text).toContain('Logo 已更新')
    expect(saved.text).toContain('恢复默认')
    const reset = await agent.post('/admin/settings/logo/reset').type('form').send({ _csrf: csrfFrom(saved.text) }).expect(303)
    expect(reset.headers.location).toBe('/admin/settings?saved=logo')
    expect(await setting(ctx.db, 'site_logo')).toBe('')
    expect(await auditRows(ctx.db)).toBe(audits + 2)
    expect((await ctx.t.agent().get('/').expect(200)).text).toContain('<img src="/static/img/logo.svg"')
  })

  it('refuses a file that is not a picture with the reason and the form again, and keeps the logo in use', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const form = await agent.get('/admin/settings').expect(200)
    const before = await setting(ctx.db, 'site_logo')
    const audits = await auditRows(ctx.db)
    const res = await agent.post(logoAction(form.text)).attach('file', Buffer.from('<script>alert(1)</script>'), { filename: 'logo.png', contentType: 'image/png' }).expect(400)
    expect(res.text).toContain('只能上传 JPEG、PNG、GIF、WebP 格式的图片')
    expect(res.text).toContain('enctype="multipart/form-data"')
    const empty = await agent.post(logoAction(form.text)).field('x', '1').expect(400)
    expect(empty.text).toContain('请选择要上传的图片')
    expect(await setting(ctx.db, 'site_logo')).toBe(before)
    expect(await auditRows(ctx.db)).toBe(audits)
  })

  it('refuses guests, members, editors and moderators (nothing changes) and a post without its token', async () => {
    const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#000' } }).png().toBuffer()
    const adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
    await adminAgent.post(logoAction((await adminAgent.get('/admin/settings')).text)).attach('file', png, 'a.png').expect(303)
    const logo = await setting(ctx.db, 'site_logo')
    for (const role of ['member', 'editor', 'moderator'] as const) {
      const u = await createUser(ctx.db.knex, { role })
      const agent = await login(ctx.t.agent(), u.username, u.password)
      const token = await csrfToken(agent, '/')
      await agent.post(`/admin/settings/logo?_csrf=${encodeURIComponent(token)}`).attach('file', png, 'b.png').expect(403)
      await agent.post('/admin/settings/logo/reset').type('form').send({ _csrf: token }).expect(403)
    }
    const guest = ctx.t.agent()
    const token = await csrfToken(guest, '/login')
    expect([401, 403]).toContain((await guest.post(`/admin/settings/logo?_csrf=${encodeURIComponent(token)}`).attach('file', png, 'c.png')).status)
    // The admin's own post without a token.
    expect((await adminAgent.post('/admin/settings/logo').attach('file', png, 'd.png')).status).toBe(403)
    expect(await setting(ctx.db, 'site_logo')).toBe(logo)
  })

  it('validates the time zone, and guest pages show times in the saved zone (blank: SITE_TIMEZONE again)', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const bad = await postSettings(agent, settingsWith({ site_timezone: 'Mars/Olympus' }))
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('时区须为 IANA 时区名')
    expect(bad.text).toContain('Mars/Olympus')
    expect(await setting(ctx.db, 'site_timezone')).toBeUndefined()

    const now = ctx.t.clock.now()
    const defaultPage = await ctx.t.agent().get('/').expect(200)
    expect(defaultPage.text).toContain(`GMT+8, ${formatDateTime(now, 'Asia/Shanghai')}`)

    expect((await postSettings(agent, settingsWith({ site_timezone: 'Europe/London' }))).status).toBe(303)
    expect(await setting(ctx.db, 'site_timezone')).toBe('Europe/London')
    const london = await ctx.t.agent().get('/').expect(200)
    expect(london.text).toContain(formatDateTime(now, 'Europe/London'))
    expect(london.text).not.toContain(`GMT+8, ${formatDateTime(now, 'Asia/Shanghai')}`)
    expect((await agent.get('/admin/settings').expect(200)).text).toContain('value="Europe/London"')

    expect((await postSettings(agent, settingsWith({ site_timezone: '' }))).status).toBe(303)
    expect((await ctx.t.agent().get('/').expect(200)).text).toContain(`GMT+8, ${formatDateTime(now, 'Asia/Shanghai')}`)
  })

  it('another process on the same database shows a new logo and time zone within the settings interval', async () => {
    const t2 = await buildTestApp(ctx.db, { clock: ctx.t.clock })
    try {
      const now = ctx.t.clock.now()
      // The second process has read the settings once (its cache is warm) before the change.
      expect((await t2.agent().get('/').expect(200)).text).toContain(`GMT+8, ${formatDateTime(now, 'Asia/Shanghai')}`)
      const agent = await login(ctx.t.agent(), admin.username, admin.password)
      expect((await postSettings(agent, settingsWith({ site_timezone: 'UTC' }))).status).toBe(303)
      const png = await sharp({ create: { width: 30, height: 30, channels: 3, background: '#00aa00' } }).png().toBuffer()
      await agent.post(logoAction((await agent.get('/admin/settings')).text)).attach('file', png, 'green.png').expect(303)
      const url = await setting(ctx.db, 'site_logo')
      ctx.t.clock.advance(2)
      const page = (await t2.agent().get('/').expect(200)).text
      expect(page).toContain(`GMT, ${formatDateTime(ctx.t.clock.now(), 'UTC')}`)
      expect(page).toContain(`<img src="${url ?? ''}" alt="" width="40" height="40">`)
      expect((await postSettings(agent, settingsWith({ site_timezone: '' }))).status).toBe(303)
    } finally {
      await t2.close()
    }
  })

  it('shows the site\'s own 公安 badge before the record number in the footer', async () => {
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toMatch(/<a class="beian" href="https:\/\/beian\.mps\.gov\.cn\/[^"]*"[^>]*><img class="police-badge" src="\/static\/img\/police-badge\.svg" alt="" width="16" height="16">/)
    const svg = await ctx.t.agent().get('/static/img/police-badge.svg').expect(200)
    expect(svg.headers['content-type']).toMatch(/svg/)
  })
})
