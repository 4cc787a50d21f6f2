import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { ManualClock } from '../../src/lib/clock'
import { legacyDarkroomRedirect } from '../../src/features/moderation/routes'
import { postBan } from './helpers'
import { migrationConfig } from '../../src/db/knex'

// 2026-11-26 10:00 in Shanghai.
const START_MS = Date.UTC(2026, 10, 26, 2, 0, 0)
const NOW = START_MS / 1000
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

interface JsonRow { uid: number, username: string, action: string, expires_at: number | null, created_at: number, reason: string }

describe.each(dialects)('the darkroom on %s', (dialect) => {
  const clock = new ManualClock(START_MS)
  const ctx = useTestApp(dialect, { app: { clock } })
  let mod: CreatedUser

  beforeAll(async () => {
    mod = await createUser(ctx.db.knex, { username: '版主', role: 'moderator' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)

  it('keeps search engines out: robots.txt disallows it, the page says noindex (meta and header), the JSON says X-Robots-Tag: noindex', async () => {
    const robots = await browser().get('/robots.txt').expect(200)
    expect(robots.text.split('\n')).toContain('Disallow: /darkroom')
    const page = await browser().get('/darkroom').expect(200)
    expect(page.text).toContain('<meta name="robots" content="noindex">')
    expect(page.headers['x-robots-tag']).toBe('noindex')
    const json = await browser().get('/darkroom.json').expect(200)
    expect(json.headers['x-robots-tag']).toBe('noindex')
    // Staff pages of the list too (members are not served from the guest cache).
    const staff = await login(browser(), mod.username, mod.password)
    expect((await staff.get('/darkroom?before=999').expect(200)).headers['x-robots-tag']).toBe('noindex')
    // Other public pages stay indexable.
    expect((await browser().get('/').expect(200)).headers['x-robots-tag']).toBeUndefined()
  })

  it('is empty at first, with the friendly message; the JSON is empty too', async () => {
    const res = await browser().get('/darkroom').expect(200)
    expect(res.text).toContain('<title>小黑屋 - ')
    expect(res.text).toContain('还没有人入住小黑屋，大家都是模范会员~')
    const json = await browser().get('/darkroom.json').expect(200)
    expect(json.body).toEqual({ rows: [], next_before: null })
  })

  it('shows one row per banned member with the five columns, humanised, newest first; no moderator name', async () => {
    const forever = await createUser(ctx.db.knex, { username: '永久用户' })
    const dated = await createUser(ctx.db.knex, { username: '三天用户' })
    const agent = await login(browser(), mod.username, mod.password)
    expect((await postBan(agent, forever.id, { type: 'visit', duration: 'forever', reason: '<b>广告</b> 刷屏' })).status).toBe(303)
    clock.advance(5 * 60)
    expect((await postBan(agent, dated.id, { type: 'post', duration: '3', reason: '人身攻击' })).status).toBe(303)
    const res = await browser().get('/darkroom').expect(200)
    const rows = res.text.split('<tr data-ban-id=').slice(1)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain(`<a href="/user/${dated.id}">三天用户</a>`)
    expect(rows[0]).toContain('<td>禁止发言</td>')
    expect(rows[0]).toContain('2026-11-29 10:05 <span class="xg1">(3 天后)</span>')
    expect(rows[0]).toContain('>刚刚</td>')
    expect(rows[0]).toContain('人身攻击')
    expect(rows[1]).toContain('<td>禁止访问</td>')
    expect(rows[1]).toContain('<td>永不过期</td>')
    expect(rows[1]).toContain('>5 分钟前</td>')
    expect(rows[1]).toContain('&lt;b&gt;广告&lt;/b&gt; 刷屏') // plain text, escaped
    for (const h of ['用户名', '操作行为', '过期时间', '操作时间', '操作理由']) expect(res.text).toContain(`<th>${h}</th>`)
    expect(res.text.split('<div id="ft"')[0]).not.toContain('>版主<')
    clock.advance(86400) // the next day: 昨天 H:i, and the countdown shrinks
    const later = await browser().get('/darkroom').expect(200)
    expect(later.text).toContain('>昨天 10:05</td>')
    expect(later.text).toContain('(2 天后)')
    const json = await browser().get('/darkroom.json').expect(200)
    expect(json.body.rows).toEqual([
      { uid: dated.id, username: '三天用户', action: '禁止发言', type: 'post', expires_at: NOW + 300 + 3 * 86400, created_at: NOW + 300, reason: '人身攻击' },
      { uid: forever.id, username: '永久用户', action: '禁止访问', type: 'visit', expires_at: null, created_at: NOW, reason: '<b>广告</b> 刷屏' }
    ])
    // Clean up for the paging test: close these bans directly.
    await ctx.db.knex('bans').update({ lifted_at: clock.now() })
    await ctx.db.knex('users').update({ ban_type: null, ban_until: null, ban_reason: null })
  })

  it('pages 100 bans 20 at a time by ?before=, with 更多, skipping lifted and expired bans; the JSON pages the same way', async () => {
    const ids: number[] = []
    const users: number[] = []
    for (let i = 0; i < 100; i++) users.push((await createUser(ctx.db.knex, { username: `黑屋${i}` })).id)
    const now = clock.now()
    for (let i = 0; i < 100; i++) {
      const [id] = await ctx.db.knex('bans').insert({ user_id: users[i], type: i % 2 === 0 ? 'post' : 'visit', reason: `理由${i}`, created_at: now - 1000 + i, expires_at: i % 3 === 0 ? null : now + 86400, moderator_id: mod.id })
      ids.push(Number(id))
    }
    // History that must not show: a lifted ban and an expired one.
    const gone = await createUser(ctx.db.knex, { username: '已释放' })
    await ctx.db.knex('bans').insert([
      { user_id: gone.id, type: 'post', reason: '旧账', created_at: now - 10, expires_at: null, moderator_id: mod.id, lifted_at: now - 5, lifted_by: mod.id, lift_reason: '解除' },
      { user_id: gone.id, type: 'post', reason: '旧账2', created_at: now - 9, expires_at: now - 1, moderator_id: mod.id }
    ])
    const seen: string[] = []
    let url: string | null = '/darkroom'
    let pages = 0
    while (url !== null) {
      const res = await browser().get(url).expect(200)
      const names = [...res.text.matchAll(/<a href="\/user\/\d+">(黑屋\d+|已释放)<\/a>/g)].map((m) => m[1] ?? '')
      seen.push(...names)
      pages++
      const more = /<a href="(\/darkroom\?before=\d+)" class="pn pn-light darkroom-more"[^>]*>更多<\/a>/.exec(res.text)
      if (pages < 5) expect(names).toHaveLength(20)
      url = more?.[1] ?? null
    }
    expect(pages).toBe(5)
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `黑屋${99 - i}`))
    // The JSON.
    const first = await browser().get('/darkroom.json').expect(200)
    expect(first.body.rows).toHaveLength(20)
    expect(first.body.rows[0]).toMatchObject({ username: '黑屋99', action: '禁止访问', type: 'visit', reason: '理由99', expires_at: null })
    expect(first.body.rows[1]).toMatchObject({ username: '黑屋98', action: '禁止发言', type: 'post', expires_at: now + 86400 })
    expect(first.body.next_before).toBe(ids[80])
    const all: JsonRow[] = [...(first.body as { rows: JsonRow[] }).rows]
    let next = (first.body as { next_before: number | null }).next_before
    while (next !== null) {
      const page = await browser().get(`/darkroom.json?before=${next}`).expect(200)
      all.push(...(page.body as { rows: JsonRow[] }).rows)
      next = (page.body as { next_before: number | null }).next_before
    }
    expect(all.map((r) => r.username)).toEqual(seen)
    // A bad ?before= is the first page.
    expect((await browser().get('/darkroom.json?before=abc').expect(200)).body.rows[0].username).toBe('黑屋99')
  })

  it('walks the open-bans index rather than the ban history', async () => {
    const sql = ctx.db.knex('bans as b').join('users as u', 'u.id', 'b.user_id')
      .select('b.id').whereNull('b.lifted_at')
      .where((w) => { void w.whereNull('b.expires_at').orWhere('b.expires_at', '>', NOW) })
      .orderBy('b.id', 'desc').limit(21).toSQL().toNative()
    if (dialect === 'sqlite') {
      const plan = await ctx.db.knex.raw<Array<{ detail: string }>>(`EXPLAIN QUERY PLAN ${sql.sql}`, sql.bindings)
      const text = plan.map((p) => p.detail).join('\n')
      expect(text).toMatch(/bans_open_newest/)
      expect(text).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/)
    } else {
      const [plan] = await ctx.db.knex.raw(`EXPLAIN ${sql.sql}`, sql.bindings) as [Array<{ table: string, key: string | null, Extra: string | null }>]
      const bans = plan.find((p) => p.table === 'b')
      expect(bans?.key).toBe('bans_open_newest')
      expect(bans?.Extra ?? '').not.toMatch(/filesort/)
    }
  })

  it('can be switched off: the page and the JSON 404, and the footer and nav links disappear', async () => {
    const on = await browser().get('/').expect(200)
    expect(on.text).toContain('href="/darkroom"')
    await ctx.t.app.settings.set('darkroom_enabled', '0')
    try {
      await browser().get('/darkroom').expect(404)
      await browser().get('/darkroom.json').expect(404)
      const off = await browser().get('/').expect(200)
      expect(off.text).not.toContain('href="/darkroom"')
      expect(off.text).not.toContain('小黑屋')
    } finally {
      await ctx.t.app.settings.set('darkroom_enabled', '1')
    }
    await browser().get('/darkroom').expect(200)
  })

  it('answers Discuz darkroom URLs with 301 through the legacy URL registry; other script URLs 404', async () => {
    const a = await browser().get('/forum.php?mod=misc&action=showdarkroom').expect(301)
    expect(a.headers.location).toBe('/darkroom')
    const b = await browser().get('/misc.php?mod=darkroom').expect(301)
    expect(b.headers.location).toBe('/darkroom')
    await browser().get('/forum.php?mod=misc&action=other').expect(404)
    await browser().get('/home.php?mod=space').expect(404)
    expect(legacyDarkroomRedirect({ mod: ['darkroom', 'x'] })).toBe('/darkroom')
    expect(legacyDarkroomRedirect({})).toBeNull()
  })

  it('the bans migration rolls back and forth', async () => {
    // By name, so migrations added later by other features do not change which one this undoes.
    const name = '20261126040000_create_bans.ts'
    await ctx.db.knex.migrate.down({ ...migrationConfig, name })
    expect(await ctx.db.knex.schema.hasTable('bans')).toBe(false)
    await ctx.db.knex.migrate.up({ ...migrationConfig, name })
    expect(await ctx.db.knex.schema.hasTable('bans')).toBe(true)
  })
})
