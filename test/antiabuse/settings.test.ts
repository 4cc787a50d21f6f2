import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { postComment } from '../comments/helpers'
import { postSettings, settingsWith } from '../admin/helpers'
import { antiAbuseService, DEFAULT_LIMITS } from '../../src/features/antiabuse/service'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('the anti-abuse numbers as 站点设置 on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let adminAgent: supertest.Agent
  let categoryId: number
  let authorId: number

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
    authorId = (await createUser(ctx.db.knex)).id
  })

  const member = async (fields: Parameters<typeof createUser>[1] = {}): Promise<supertest.Agent> => {
    const u = await createUser(ctx.db.knex, fields)
    return await login(ctx.t.agent().set('User-Agent', BROWSER), u.username, u.password)
  }
  const article = async (): Promise<number> => await createArticle(ctx.db.knex, { categoryId, authorId })
  const save = async (overrides: Record<string, string>): Promise<supertest.Response> => await postSettings(adminAgent, settingsWith(overrides))

  it('shows today\'s numbers as editable fields, and the CLI\'s service keeps them as defaults', async () => {
    const page = await adminAgent.get('/admin/settings').expect(200)
    expect(page.text).toContain('name="flood_interval" value="15"')
    expect(page.text).toContain('name="new_member_flood_interval" value="30"')
    expect(page.text).toContain('name="new_member_silence" value="120"')
    expect(page.text).toContain('name="new_member_link_review_count" value="3"')
    expect(await antiAbuseService(ctx.db.knex).limits()).toEqual(DEFAULT_LIMITS)
    expect(DEFAULT_LIMITS).toEqual({ floodInterval: 15, newMemberFloodInterval: 30, newMemberSilence: 120, newMemberLinkReviewCount: 3 })
  })

  it('refuses numbers out of range or not integers with a Chinese message, saving nothing', async () => {
    for (const [key, value, message] of [
      ['flood_interval', '3601', '发帖间隔须为 0 到 3600 之间的整数'],
      ['flood_interval', '-1', '发帖间隔须为 0 到 3600 之间的整数'],
      ['new_member_flood_interval', '1.5', '新会员首日发帖间隔须为 0 到 3600 之间的整数'],
      ['new_member_silence', '86401', '新会员注册后禁言须为 0 到 86400 之间的整数'],
      ['new_member_link_review_count', '一百', '新会员含链接内容送审须为 0 到 100 之间的整数']
    ] as const) {
      const res = await save({ [key]: value })
      expect([key, res.status]).toEqual([key, 400])
      expect(res.text).toContain(message)
    }
    expect(await ctx.db.knex('settings').whereIn('key', ['flood_interval', 'new_member_flood_interval', 'new_member_silence', 'new_member_link_review_count']).count({ n: '*' }).first()).toEqual({ n: 0 })
  })

  it('an admin sets the flood interval to 60: a second comment 20 s later is refused with 请 40 秒后再发表', async () => {
    expect((await save({ flood_interval: '60' })).status).toBe(303)
    ctx.t.clock.advance(2) // past the settings' 1 s cache
    const agent = await member()
    const aid = await article()
    expect((await postComment(agent, aid, { message: '第一条评论' })).status).toBe(303)
    ctx.t.clock.advance(20)
    const refused = await postComment(agent, aid, { message: '第二条评论' })
    expect(refused.status).toBe(429)
    expect(refused.text).toContain('您两次发表间隔少于 60 秒，请 40 秒后再发表')
    ctx.t.clock.advance(40)
    expect((await postComment(agent, aid, { message: '第二条评论' })).status).toBe(303)
  })

  it('the new-member silence, first-day interval and link review count follow the settings too', async () => {
    expect((await save({ flood_interval: '15', new_member_silence: '600', new_member_flood_interval: '100', new_member_link_review_count: '1' })).status).toBe(303)
    ctx.t.clock.advance(2)
    const aid = await article()
    const fresh = await member({ createdAt: ctx.t.clock.now() - 200 })
    // The notice above the form and the refusal both count from the setting: 600 - 200 = 400 s.
    expect((await fresh.get(`/article/${aid}`).expect(200)).text).toContain('新注册用户需等待 400 秒后才能发表')
    const silent = await postComment(fresh, aid, { message: '太早了' })
    expect(silent.status).toBe(403)
    expect(silent.text).toContain('新注册用户需等待 400 秒后才能发表')

    ctx.t.clock.advance(400)
    const first = await postComment(fresh, aid, { message: '看 https://example.com/a' }, { json: true })
    expect(first.status).toBe(201)
    expect(first.body.status).toBe('pending')
    ctx.t.clock.advance(50)
    const soon = await postComment(fresh, aid, { message: '第二条' })
    expect(soon.status).toBe(429)
    expect(soon.text).toContain('您两次发表间隔少于 100 秒，请 50 秒后再发表')
    ctx.t.clock.advance(50)
    // Past the first one: a link no longer sends it to review.
    const second = await postComment(fresh, aid, { message: '再看 https://example.com/b' }, { json: true })
    expect(second.status).toBe(201)
    expect(second.body.status).toBe('visible')
  })
})
