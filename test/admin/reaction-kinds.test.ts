import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { KINDS_CACHE_MS } from '../../src/features/reactions/service'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'

interface KindRow { key: string, name: string, icon: string, display_order: number, enabled: number | boolean }

describe.each(dialects)('表态 kinds in /admin/reactions on %s', (dialect) => {
  // Two app instances on one database and one clock: two processes with their own kinds caches.
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED }, second: true })
  let admin: CreatedUser
  let agent: supertest.Agent
  let articleId: number

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    const author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  async function kinds (): Promise<KindRow[]> {
    return await ctx.db.knex('reaction_kinds').orderBy('display_order').select('key', 'name', 'icon', 'display_order', 'enabled')
  }
  async function post (path: string, fields: Record<string, string>, who: supertest.Agent = agent): Promise<supertest.Response> {
    return await who.post(path).type('form').send({ _csrf: await csrfToken(who, '/'), ...fields })
  }
  const buttonNames = (html: string): string[] => [...html.matchAll(/class="react-button"[^>]*><img [^>]*><span>([^<]*)<\/span>/g)].map((m) => m[1] ?? '')

  it('lists the five kinds with their icons and forms, and is a live link in the admin menu', async () => {
    const res = await agent.get('/admin/reactions').expect(200)
    expect(res.text).toContain('<a href="/admin/reactions" aria-current="page">表态</a>')
    for (const key of ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']) expect(res.text).toContain(`action="/admin/reactions/${key}"`)
    expect(res.text).toContain('<option value="/static/img/reactions/jidan.svg">jidan.svg</option>')
  })

  it('renames 路过 to 路过看看: the article widget shows it at once here and within the cache interval on the other process, audited', async () => {
    // The other process has the kinds in its cache before the change.
    expect(buttonNames((await ctx.t2.agent().get(`/article/${articleId}`).expect(200)).text)).toContain('路过')
    const res = await post('/admin/reactions/luguo', { name: '路过看看', icon: '/static/img/reactions/luguo.svg', enabled: '1' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/admin/reactions?done=saved')
    expect((await kinds()).find((k) => k.key === 'luguo')?.name).toBe('路过看看')
    expect(buttonNames((await ctx.t.agent().get(`/article/${articleId}`).expect(200)).text)[0]).toBe('路过看看')
    // Not yet on the other process (same clock, cache still fresh) ...
    expect(buttonNames((await ctx.t2.agent().get(`/article/${articleId}`).expect(200)).text)[0]).toBe('路过')
    // ... and there once the interval has passed.
    ctx.t.clock.set(ctx.t.clock.nowMs() + KINDS_CACHE_MS + 1)
    expect(buttonNames((await ctx.t2.agent().get(`/article/${articleId}`).expect(200)).text)[0]).toBe('路过看看')
    const [row] = await auditLog(ctx.db.knex).list({ action: 'reaction_kind_update' }, 1)
    expect(row?.actor_id).toBe(admin.id)
    expect(row?.target_type).toBe('reaction_kind')
    expect(JSON.parse(row?.before_state ?? '{}')).toMatchObject({ key: 'luguo', name: '路过', enabled: true })
    expect(JSON.parse(row?.after_state ?? '{}')).toMatchObject({ key: 'luguo', name: '路过看看', enabled: true })
  })

  it('disables 鸡蛋: it leaves the widget, cannot be posted, keeps its count; enabling brings it back with that count', async () => {
    const m = await createUser(ctx.db.knex)
    const member = await login(ctx.t.agent(), m.username, m.password)
    expect((await post(`/article/${articleId}/react`, { kind: 'jidan' }, member)).status).toBe(303)
    expect((await post('/admin/reactions/jidan', { name: '鸡蛋', icon: '/static/img/reactions/jidan.svg' })).status).toBe(303)
    const page = await member.get(`/article/${articleId}`).expect(200)
    expect(buttonNames(page.text)).not.toContain('鸡蛋')
    expect(page.text).not.toContain('name="kind" value="jidan"')
    expect(page.text).toContain('您的表态：鸡蛋') // the member's own earlier reaction is still named
    const other = await createUser(ctx.db.knex)
    const otherAgent = await login(ctx.t.agent(), other.username, other.password)
    const refused = await post(`/article/${articleId}/react`, { kind: 'jidan' }, otherAgent)
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('该表态已停用')
    const counted = await ctx.db.knex('articles').where('id', articleId).first<{ react_jidan: number }>('react_jidan')
    expect(Number(counted?.react_jidan)).toBe(1)
    expect(await ctx.db.knex('reactions').where({ article_id: articleId, kind: 'jidan' }).count<Array<{ n: number | string }>>('* as n').first().then((r) => Number(r?.n))).toBe(1)
    expect((await post('/admin/reactions/jidan', { name: '鸡蛋', icon: '/static/img/reactions/jidan.svg', enabled: '1' })).status).toBe(303)
    const back = await ctx.t.agent().get(`/article/${articleId}`).expect(200)
    expect(buttonNames(back.text)).toContain('鸡蛋')
    expect(back.text).toMatch(/<span class="react-count">1<\/span>[\s\S]*?<span>鸡蛋<\/span>/)
  })

  it('reorders with 上移/下移 (renumbered, audited) and the widget follows', async () => {
    expect((await post('/admin/reactions/xianhua/move', { direction: 'up' })).status).toBe(303)
    expect((await kinds()).map((k) => [k.key, Number(k.display_order)])).toEqual([['luguo', 1], ['leiren', 2], ['xianhua', 3], ['woshou', 4], ['jidan', 5]])
    expect((await post('/admin/reactions/luguo/move', { direction: 'up' })).status).toBe(303) // already first: nothing moves
    expect((await kinds()).map((k) => k.key)).toEqual(['luguo', 'leiren', 'xianhua', 'woshou', 'jidan'])
    const names = buttonNames((await ctx.t.agent().get(`/article/${articleId}`).expect(200)).text)
    expect(names.indexOf('鲜花')).toBeLessThan(names.indexOf('握手'))
    const [row] = await auditLog(ctx.db.knex).list({ action: 'reaction_kind_move' }, 1)
    expect(JSON.parse(row?.after_state ?? '{}')).toEqual({ order: ['luguo', 'leiren', 'xianhua', 'woshou', 'jidan'] })
  })

  it('changes 握手\'s icon: stored, audited, and the article widget shows the new picture for guests and members', async () => {
    const iconOf = (html: string, name: string): string | undefined => new RegExp(`class="react-button"[^>]*><img src="([^"]*)"[^>]*><span>${name}</span>`).exec(html)?.[1]
    const m = await createUser(ctx.db.knex)
    const member = await login(ctx.t.agent(), m.username, m.password)
    expect(iconOf((await ctx.t.agent().get(`/article/${articleId}`).expect(200)).text, '握手')).toBe('/static/img/reactions/woshou.svg')
    const res = await post('/admin/reactions/woshou', { name: '握手', icon: '/static/img/reactions/xianhua.svg', enabled: '1' })
    expect(res.status).toBe(303)
    expect((await kinds()).find((k) => k.key === 'woshou')?.icon).toBe('/static/img/reactions/xianhua.svg')
    expect(iconOf((await ctx.t.agent().get(`/article/${articleId}`).expect(200)).text, '握手')).toBe('/static/img/reactions/xianhua.svg')
    expect(iconOf((await member.get(`/article/${articleId}`).expect(200)).text, '握手')).toBe('/static/img/reactions/xianhua.svg')
    const [row] = await auditLog(ctx.db.knex).list({ action: 'reaction_kind_update' }, 1)
    expect(JSON.parse(row?.before_state ?? '{}')).toMatchObject({ key: 'woshou', icon: '/static/img/reactions/woshou.svg' })
    expect(JSON.parse(row?.after_state ?? '{}')).toMatchObject({ key: 'woshou', icon: '/static/img/reactions/xianhua.svg' })
    // Its own icon back, for the tests after this one.
    expect((await post('/admin/reactions/woshou', { name: '握手', icon: '/static/img/reactions/woshou.svg', enabled: '1' })).status).toBe(303)
  })

  it.each([
    ['an empty name', { name: '  ' }, '名称需为 1–8 个字'],
    ['a name of 9 characters', { name: '一二三四五六七八九' }, '名称需为 1–8 个字'],
    ['an icon not in the list', { icon: '/static/img/logo.svg' }, '请从列表中选择图标'],
    ['an icon outside the site', { icon: 'https://evil.example/x.svg' }, '请从列表中选择图标']
  ])('refuses %s with its message, changing nothing', async (_name, override, message) => {
    const before = await kinds()
    const audits = (await auditLog(ctx.db.knex).list({}, 100)).length
    const res = await post('/admin/reactions/leiren', { name: '雷人', icon: '/static/img/reactions/leiren.svg', enabled: '1', ...override })
    expect(res.status).toBe(400)
    expect(res.text).toContain(message)
    expect(await kinds()).toEqual(before)
    expect((await auditLog(ctx.db.knex).list({}, 100)).length).toBe(audits)
  })

  it('keeps at least one kind enabled, and answers 404 for an unknown key', async () => {
    for (const key of ['luguo', 'leiren', 'woshou', 'xianhua']) {
      const row = (await kinds()).find((k) => k.key === key)
      expect((await post(`/admin/reactions/${key}`, { name: row?.name ?? '', icon: row?.icon ?? '' })).status).toBe(303)
    }
    const last = await post('/admin/reactions/jidan', { name: '鸡蛋', icon: '/static/img/reactions/jidan.svg' })
    expect(last.status).toBe(400)
    expect(last.text).toContain('至少要保留一种启用的表态')
    expect(Boolean((await kinds()).find((k) => k.key === 'jidan')?.enabled)).toBe(true)
    expect((await post('/admin/reactions/nope', { name: '无', icon: '/static/img/reactions/jidan.svg', enabled: '1' })).status).toBe(404)
    expect((await post('/admin/reactions/nope/move', { direction: 'down' })).status).toBe(404)
    expect((await post('/admin/reactions/jidan/move', { direction: 'sideways' })).status).toBe(400)
  })

  it.each(['guest', 'member', 'moderator'] as const)('refuses a %s (page and forms), changing nothing', async (who) => {
    const user = who === 'guest' ? null : await createUser(ctx.db.knex, { role: who === 'moderator' ? 'moderator' : 'member' })
    const a = user === null ? ctx.t.agent() : await login(ctx.t.agent(), user.username, user.password)
    const expected = who === 'guest' ? 401 : 403
    expect((await a.get('/admin/reactions')).status).toBe(expected)
    const before = await kinds()
    const token = await csrfToken(a, who === 'guest' ? '/login' : '/')
    expect((await a.post('/admin/reactions/woshou').type('form').send({ _csrf: token, name: '坏', icon: '/static/img/reactions/woshou.svg', enabled: '1' })).status).toBe(expected)
    expect((await a.post('/admin/reactions/woshou/move').type('form').send({ _csrf: token, direction: 'up' })).status).toBe(expected)
    expect(await kinds()).toEqual(before)
  })

  it('refuses an admin\'s change without its CSRF token', async () => {
    const before = await kinds()
    expect((await agent.post('/admin/reactions/woshou').type('form').send({ name: '坏', icon: '/static/img/reactions/woshou.svg', enabled: '1' })).status).toBe(403)
    expect(await kinds()).toEqual(before)
  })
})
