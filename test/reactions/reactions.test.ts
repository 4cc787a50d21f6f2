import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser, banUser } from '../helpers/factories'
import { reactionCommands } from '../../src/features/reactions/cli'

type Counters = Record<'react_luguo' | 'react_leiren' | 'react_woshou' | 'react_xianhua' | 'react_jidan', number>

describe.each(dialects)('表态 reactions on %s', (dialect) => {
  // Hundreds of members log in from one test client: the per-IP rate limits would refuse them.
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let categoryId: number
  let author: CreatedUser

  beforeAll(async () => {
    author = await createUser(ctx.db.knex)
    categoryId = await createCategory(ctx.db.knex)
  })

  async function counters (articleId: number): Promise<Counters> {
    const row = await ctx.db.knex('articles').where({ id: articleId }).first<Counters>('react_luguo', 'react_leiren', 'react_woshou', 'react_xianhua', 'react_jidan')
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as Counters
  }
  async function rows (articleId: number): Promise<Array<{ user_id: number, kind: string }>> {
    return await ctx.db.knex('reactions').where({ article_id: articleId }).select('user_id', 'kind')
  }
  async function member (): Promise<{ user: CreatedUser, agent: supertest.Agent, csrf: string }> {
    const user = await createUser(ctx.db.knex)
    const agent = ctx.t.agent()
    await login(agent, user.username, user.password)
    const page = await agent.get('/settings') // any page with a form carries the session's token
    return { user, agent, csrf: csrfFrom(page.text) }
  }
  const article = async (): Promise<number> => await createArticle(ctx.db.knex, { categoryId, authorId: author.id })

  it('shows five cells with counts, bars and recent reactors; guests get login links instead of forms', async () => {
    const id = await article()
    const m = await member()
    await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: 'xianhua' }).expect(303).expect('Location', `/article/${id}#click`)
    const guest = await ctx.t.agent().get(`/article/${id}`).expect(200)
    for (const name of ['路过', '雷人', '握手', '鲜花', '鸡蛋']) expect(guest.text).toContain(`<span>${name}</span>`)
    expect(guest.text).toContain('刚表态过的朋友 (1 人)')
    expect(guest.text).toContain(`<a href="/user/${m.user.id}"><img src="/uc_server/avatar.php?uid=${m.user.id}&amp;size=small" width="24" height="24" loading="lazy" alt="" class="avatar-s"> ${m.user.username}</a> <span class="xg1">鲜花</span>`)
    expect(guest.text).toContain('style="height: 100%"')
    expect(guest.text).not.toContain('action="/article/' + String(id) + '/react"')
    expect(guest.text).toContain(`href="/login?return=${encodeURIComponent(`/article/${id}#click`)}"`)
    expect(guest.headers['set-cookie']).toBeUndefined() // no session for a guest's page: it stays cacheable
    const mine = await m.agent.get(`/article/${id}`).expect(200)
    expect(mine.text).toContain('您的表态：鲜花')
    expect(mine.text).toContain('撤销我的表态')
  })

  it('answers JSON to fetch with the new counts and the widget HTML', async () => {
    const id = await article()
    const m = await member()
    const res = await m.agent.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind: 'woshou' }).expect(200)
    expect(res.body.message).toBe('表态成功')
    expect(res.body.counts).toEqual({ luguo: 0, leiren: 0, woshou: 1, xianhua: 0, jidan: 0 })
    expect(res.body.mine.kind).toBe('woshou')
    expect(res.body.html).toContain('刚表态过的朋友 (1 人)')
    const again = await m.agent.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind: 'woshou' }).expect(409)
    expect(again.body.error).toBe('您已表过态')
  })

  it('refuses guests, the author, banned members, unknown kinds and requests without a CSRF token, changing nothing', async () => {
    const id = await article()
    const guest = ctx.t.agent()
    const page = await guest.get('/login')
    const g = await guest.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: csrfFrom(page.text), kind: 'luguo' }).expect(401)
    expect(g.body.error).toBe('您需要先登录才能继续本操作')
    expect(g.body.loginUrl).toBe(`/login?return=${encodeURIComponent(`/article/${id}#click`)}`)

    const own = ctx.t.agent()
    await login(own, author.username, author.password)
    const ownPage = await own.get(`/article/${id}`)
    expect(ownPage.text).toContain('disabled title="您不能给自己表态"')
    const o = await own.post(`/article/${id}/react`).type('form').send({ _csrf: csrfFrom(ownPage.text), kind: 'luguo' }).expect(403)
    expect(o.text).toContain('您不能给自己表态')

    const banned = await member()
    await banUser(ctx.db.knex, banned.user.id, { type: 'post', until: null, reason: '刷屏' })
    const b = await banned.agent.post(`/article/${id}/react`).type('form').send({ _csrf: banned.csrf, kind: 'luguo' }).expect(403)
    expect(b.text).toContain('禁止发言')

    const m = await member()
    await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: 'zan' }).expect(400)
    await m.agent.post(`/article/${id}/react`).type('form').send({ kind: 'luguo' }).expect(403)
    await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: 'wrong-token', kind: 'luguo' }).expect(403)
    await m.agent.post('/article/999999/react').type('form').send({ _csrf: m.csrf, kind: 'luguo' }).expect(404)

    expect(await rows(id)).toEqual([])
    expect(Object.values(await counters(id)).every((n) => n === 0)).toBe(true)
  })

  it('records exactly one reaction for 50 parallel clicks by the same member', async () => {
    const id = await article()
    const m = await member()
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) =>
      await m.agent.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind: i % 2 === 0 ? 'luguo' : 'luguo' })))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(results.every((r) => r.status === 200 || r.status === 409 || r.status === 429)).toBe(true)
    expect(await rows(id)).toHaveLength(1)
    expect((await counters(id)).react_luguo).toBe(1)
  })

  it('keeps counters equal to rows for 200 parallel reactions by 200 members', async () => {
    const id = await article()
    const members = []
    for (let i = 0; i < 200; i++) members.push(await member())
    const kinds = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']
    const results = await Promise.all(members.map(async (m, i) =>
      await m.agent.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind: kinds[i % 5] })))
    expect(results.filter((r) => r.status === 200)).toHaveLength(200)
    const c = await counters(id)
    const all = await rows(id)
    for (const k of kinds) expect(c[`react_${k}` as keyof Counters]).toBe(all.filter((r) => r.kind === k).length)
    expect(all).toHaveLength(200)
    expect(c.react_luguo).toBe(40)
  }, 60_000)

  it('takes 25 concurrent mixed reactions, changes and withdrawals by one member without a 500, 20 rounds, counters equal to rows', async () => {
    // Each round mixes the three paths (new reaction, change of kind, withdrawal) on one article: they
    // used to lock the article and the reaction row in opposite orders, which deadlocked on MariaDB.
    const id = await article()
    const m = await member()
    const choices = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan', 'withdraw']
    const statuses = new Map<number, number>()
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(Array.from({ length: 25 }, async (_, i) =>
        await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: choices[(i + round) % choices.length] })))
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      const c = await counters(id)
      const all = await rows(id)
      expect(all.length).toBeLessThanOrEqual(1)
      expect(Object.values(c).reduce((a, n) => a + n, 0)).toBe(all.length)
      for (const r of all) expect(c[`react_${r.kind}` as keyof Counters]).toBe(1)
    }
    expect(statuses.get(500)).toBeUndefined()
    expect([...statuses.keys()].every((s) => s === 303 || s === 409)).toBe(true)
    expect(statuses.get(303)).toBeGreaterThan(20)
  }, 120_000)

  it('lets a member change or withdraw within 10 minutes, moving exactly one count, and not after', async () => {
    const id = await article()
    const m = await member()
    const send = async (kind: string) => await m.agent.post(`/article/${id}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind })
    expect((await send('leiren')).status).toBe(200)
    ctx.t.clock.advance(5 * 60)
    const changed = await send('jidan')
    expect(changed.status).toBe(200)
    expect(changed.body.message).toBe('已修改表态')
    expect(await counters(id)).toEqual({ react_luguo: 0, react_leiren: 0, react_woshou: 0, react_xianhua: 0, react_jidan: 1 })
    expect((await send('withdraw')).status).toBe(200)
    expect(await rows(id)).toEqual([])
    expect((await counters(id)).react_jidan).toBe(0)

    expect((await send('xianhua')).status).toBe(200)
    ctx.t.clock.advance(10 * 60 + 1)
    const late = await send('luguo')
    expect(late.status).toBe(409)
    expect(late.body.error).toBe('您已表过态')
    expect((await send('withdraw')).status).toBe(409)
    expect(await counters(id)).toEqual({ react_luguo: 0, react_leiren: 0, react_woshou: 0, react_xianhua: 1, react_jidan: 0 })
    const page = await m.agent.get(`/article/${id}`)
    expect(page.text).not.toContain('撤销我的表态')
  })

  it('stops a member at the daily cap (a setting) and lets them react again the next day', async () => {
    await ctx.db.knex('settings').insert({ key: 'reactions_daily_cap', value: '3' })
    ctx.t.clock.advance(10) // past the settings cache
    const m = await member()
    const ids = [await article(), await article(), await article(), await article()]
    for (const id of ids.slice(0, 3)) await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: 'luguo' }).expect(303)
    const capped = await m.agent.post(`/article/${ids[3] ?? 0}/react`).set('Accept', 'application/json').type('form').send({ _csrf: m.csrf, kind: 'luguo' }).expect(429)
    expect(capped.body.error).toContain('今天的表态次数已达上限')
    expect(await rows(ids[3] ?? 0)).toEqual([])
    ctx.t.clock.advance(86400)
    await m.agent.post(`/article/${ids[3] ?? 0}/react`).type('form').send({ _csrf: m.csrf, kind: 'luguo' }).expect(303)
    await ctx.db.knex('settings').where({ key: 'reactions_daily_cap' }).delete()
    ctx.t.clock.advance(10)
  })

  it('keeps counts on their kind when an admin renames or reorders the reactions', async () => {
    const id = await article()
    const m = await member()
    await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: 'jidan' }).expect(303)
    await ctx.db.knex('reaction_kinds').where({ key: 'jidan' }).update({ name: '臭鸡蛋', display_order: 0 })
    ctx.t.clock.advance(10) // past the kinds cache
    const page = await ctx.t.agent().get(`/article/${id}`).expect(200)
    const cells = page.text.slice(page.text.indexOf('react-cells'))
    expect(cells.indexOf('臭鸡蛋')).toBeLessThan(cells.indexOf('路过'))
    expect(cells).toMatch(/<span class="react-count">1<\/span>[\s\S]*?臭鸡蛋/)
    expect((await counters(id)).react_jidan).toBe(1)
    await ctx.db.knex('reaction_kinds').where({ key: 'jidan' }).update({ name: '鸡蛋', display_order: 5 })
  })

  it('reactions:reconcile reports a hand-made drift and fixes it', async () => {
    const id = await article()
    const m = await member()
    await m.agent.post(`/article/${id}/react`).type('form').send({ _csrf: m.csrf, kind: 'woshou' }).expect(303)
    await ctx.db.knex('articles').where({ id }).update({ react_woshou: 7, react_jidan: 2 })
    const command = reactionCommands['reactions:reconcile']
    if (command === undefined) throw new Error('command missing')
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    try {
      await command.run({ knex: ctx.db.knex, config: ctx.t.config, flags: { 'dry-run': true } })
      expect((await counters(id)).react_woshou).toBe(7)
      expect(log.mock.calls.flat().join('\n')).toContain(`article ${id} woshou: counter 7, rows 1`)
      await command.run({ knex: ctx.db.knex, config: ctx.t.config, flags: {} })
    } finally {
      log.mockRestore()
    }
    expect(await counters(id)).toEqual({ react_luguo: 0, react_leiren: 0, react_woshou: 1, react_xianhua: 0, react_jidan: 0 })
  })
})
