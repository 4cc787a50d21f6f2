import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, csrfToken, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { postReply, postThread } from '../forum/helpers'
import { postBan } from '../moderation/helpers'
import { postSettings, settingsWith } from './helpers'

/**
 * 站点设置 → 时区 moves every calendar-day rule and every typed-in date, not only the dates pages show.
 * The instants are chosen around Shanghai's midnight (16:00 UTC): 15:30Z is still 30 Nov in
 * Shanghai, 16:30Z is already 1 Dec there, and both are 30 Nov in UTC and in New York.
 */
const at = (iso: string): number => Date.parse(iso)
const seconds = (iso: string): number => Date.parse(iso) / 1000

describe.each(dialects)('the site time zone in services on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let adminAgent: supertest.Agent
  let categoryId: number

  beforeAll(async () => {
    // Before any page reads the category tree (the portal keeps it a while).
    categoryId = await createCategory(ctx.db.knex)
    admin = await createUser(ctx.db.knex, { role: 'admin', createdAt: seconds('2026-01-01T00:00:00Z') })
    adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  async function setZone (zone: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await postSettings(adminAgent, settingsWith({ site_timezone: zone, ...extra }))
    expect(res.status).toBe(303)
  }

  async function dashboardToday (label: string): Promise<number> {
    const page = await adminAgent.get('/admin').expect(200)
    const m = new RegExp(`<td>${label}</td><td>(\\d+)</td>`).exec(page.text)
    if (m?.[1] === undefined) throw new Error(`no ${label} row on /admin`)
    return Number(m[1])
  }

  async function forumToday (): Promise<number> {
    const page = await ctx.t.agent().get('/forum').expect(200)
    const m = /今日: <em>(\d+)<\/em>/.exec(page.text)
    if (m?.[1] === undefined) throw new Error('no 今日 on /forum')
    return Number(m[1])
  }

  it('今日 on /admin and on /forum starts at the midnight of the zone set now', async () => {
    ctx.t.clock.set(at('2026-11-30T15:00:00Z'))
    await setZone('Asia/Shanghai')
    const member = await createUser(ctx.db.knex, { createdAt: seconds('2026-11-30T15:00:00Z') })
    const agent = await login(ctx.t.agent(), member.username, member.password)
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const threadId = await postThread(ctx.t, agent, boardId, '跨日的主题') // 15:10Z: 23:10 on 30 Nov in Shanghai
    expect(await forumToday()).toBe(1)
    expect(await dashboardToday('会员')).toBe(1)
    expect(await dashboardToday('主题')).toBe(1)

    ctx.t.clock.set(at('2026-11-30T16:30:00Z')) // 00:30 on 1 Dec in Shanghai: a new day
    expect(await dashboardToday('会员')).toBe(0)
    expect(await dashboardToday('主题')).toBe(0)
    expect(await forumToday()).toBe(0)

    await setZone('UTC') // still 30 Nov: the member and the thread are today's again
    expect(await dashboardToday('会员')).toBe(1)
    expect(await dashboardToday('主题')).toBe(1)
    // The stored counter was started on Shanghai's day; the recount (forum:reconcile) redoes it in UTC.
    await ctx.t.app.forum.reconcile(ctx.t.clock.now())
    expect(await forumToday()).toBe(1)
    await postReply(ctx.t, agent, threadId, '零点过后的回复') // 16:40Z
    expect(await forumToday()).toBe(2)
    ctx.t.clock.set(at('2026-11-30T23:50:00Z'))
    expect(await forumToday()).toBe(2)
    ctx.t.clock.set(at('2026-12-01T00:10:00Z')) // UTC's midnight passed
    expect(await forumToday()).toBe(0)
    expect(await dashboardToday('帖子（含回复）')).toBe(0)

    await setZone('America/New_York') // 19:10 on 30 Nov there: the thread and the reply are today's
    expect(await dashboardToday('帖子（含回复）')).toBe(2)
    expect(await dashboardToday('会员')).toBe(1)
  })

  it('the daily 表态 cap restarts at the zone\'s midnight', async () => {
    ctx.t.clock.set(at('2026-11-30T15:30:00Z'))
    await setZone('UTC', { reactions_daily_cap: '1' })
    const author = await createUser(ctx.db.knex)
    // Dated by the test's clock: the factory's default is ten minutes before the real time, which on
    // the day this date names, later than 15:40 UTC, made these articles scheduled (a 404) at the clock's time.
    const publishedAt = ctx.t.clock.now() - 3600
    const ids = [
      await createArticle(ctx.db.knex, { categoryId, authorId: author.id, publishedAt }),
      await createArticle(ctx.db.knex, { categoryId, authorId: author.id, publishedAt }),
      await createArticle(ctx.db.knex, { categoryId, authorId: author.id, publishedAt })
    ]
    const member = await createUser(ctx.db.knex)
    const agent = await login(ctx.t.agent(), member.username, member.password)
    const react = async (id: number | undefined): Promise<number> => {
      const token = await csrfToken(agent, '/settings')
      return (await agent.post(`/article/${id ?? 0}/react`).type('form').send({ _csrf: token, kind: 'luguo' })).status
    }
    expect(await react(ids[0])).toBe(303)
    ctx.t.clock.set(at('2026-11-30T16:30:00Z'))
    expect(await react(ids[1])).toBe(429) // the same UTC day
    await setZone('Asia/Shanghai', { reactions_daily_cap: '1' })
    expect(await react(ids[1])).toBe(303) // 1 Dec in Shanghai: a new day
    await setZone('America/New_York', { reactions_daily_cap: '1' })
    expect(await react(ids[2])).toBe(429) // both reactions fall on 30 Nov in New York
    expect(await ctx.db.knex('reactions').where({ user_id: member.id }).count<Array<{ n: number | string }>>({ n: '*' }).first().then((r) => Number(r?.n))).toBe(2)
  })

  it('a ban\'s typed end date ends at that day\'s midnight in the zone, and the form\'s earliest date follows it', async () => {
    ctx.t.clock.set(at('2026-11-30T16:30:00Z'))
    await setZone('UTC')
    const first = await createUser(ctx.db.knex)
    const form = await adminAgent.get(`/mod/ban/${first.id}`).expect(200)
    expect(form.text).toContain('min="2026-12-01"')
    await postBan(adminAgent, first.id, { duration: 'custom', until: '2026-12-05' }).then((r) => expect(r.status).toBe(303))
    const firstRow = await ctx.db.knex('users').where({ id: first.id }).first<{ ban_until: number | string }>('ban_until')
    expect(Number(firstRow.ban_until)).toBe(seconds('2026-12-05T00:00:00Z'))

    await setZone('America/New_York')
    const second = await createUser(ctx.db.knex)
    await postBan(adminAgent, second.id, { duration: 'custom', until: '2026-12-05' }).then((r) => expect(r.status).toBe(303))
    const secondRow = await ctx.db.knex('users').where({ id: second.id }).first<{ ban_until: number | string }>('ban_until')
    expect(Number(secondRow.ban_until)).toBe(seconds('2026-12-05T05:00:00Z'))

    await setZone('Asia/Shanghai')
    const third = await createUser(ctx.db.knex)
    expect((await adminAgent.get(`/mod/ban/${third.id}`).expect(200)).text).toContain('min="2026-12-02"')
    // 1 Dec is today in Shanghai: not in the future, refused, nothing stored.
    const refused = await postBan(adminAgent, third.id, { duration: 'custom', until: '2026-12-01' })
    expect(refused.status).toBe(400)
    const thirdRow = await ctx.db.knex('users').where({ id: third.id }).first<{ ban_type: string | null }>('ban_type')
    expect(thirdRow.ban_type).toBeNull()
  })

  it('the article form\'s 发布时间 is read and shown back in the zone', async () => {
    ctx.t.clock.set(at('2026-11-30T16:30:00Z'))
    await setZone('America/New_York')
    const page = await adminAgent.get('/portal/write').expect(200)
    expect(page.text).toContain('站点时区 America/New_York GMT-5')
    const res = await adminAgent.post('/portal/write').type('form').send({
      _csrf: csrfFrom(page.text), title: '定时发布的文章', catid: String(categoryId), body: '正文。', status: 'published', publish_at: '2026-12-05T08:00', allow_comments: '1'
    })
    expect(res.status === 303 ? '' : res.text.match(/field-error[^<]*<|role="alert">[^<]*/g)).toBe('')
    const id = Number(/\/portal\/write\/(\d+)/.exec(String(res.headers.location))?.[1])
    const row = await ctx.db.knex('articles').where({ id }).first<{ published_at: number | string }>('published_at')
    expect(Number(row.published_at)).toBe(seconds('2026-12-05T13:00:00Z'))
    expect((await adminAgent.get(`/portal/write/${id}`).expect(200)).text).toContain('value="2026-12-05T08:00"')
    await setZone('UTC')
    expect((await adminAgent.get(`/portal/write/${id}`).expect(200)).text).toContain('value="2026-12-05T13:00"')
  })

  it('操作记录\'s date filter means days of the zone', async () => {
    ctx.t.clock.set(at('2026-11-30T16:30:00Z'))
    await setZone('Asia/Shanghai', { site_name: '跨日站名' }) // 00:30 on 1 Dec in Shanghai
    const shows = async (day: string): Promise<boolean> => (await adminAgent.get(`/admin/log?action=settings_update&from=${day}&to=${day}`).expect(200)).text.includes('&quot;跨日站名&quot;')
    expect(await shows('2026-12-01')).toBe(true)
    expect(await shows('2026-11-30')).toBe(false)
    await setZone('UTC', { site_name: '跨日站名' })
    expect(await shows('2026-11-30')).toBe(true)
    expect(await shows('2026-12-01')).toBe(false)
  })
})
