import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, postReply, postThread } from '../forum/helpers'
import { formBody, VALID_SETTINGS } from './helpers'

type Who = 'guest' | 'member' | 'moderator'

describe.each(dialects)('the admin centre\'s doors on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  const users: Partial<Record<Who, CreatedUser>> = {}
  let pageId = 0

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    users.member = await createUser(ctx.db.knex)
    users.moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    const [id] = await ctx.db.knex('pages').insert({ slug: 'about', title: '关于我们', body: '原文', body_html: '<p>原文</p>', render_version: 1, created_at: 1, updated_at: 1, updated_by: null })
    pageId = Number(id)
  })

  async function agentFor (who: Who): Promise<supertest.Agent> {
    const user = users[who]
    return user === undefined ? ctx.t.agent() : await login(ctx.t.agent(), user.username, user.password)
  }

  async function snapshot (): Promise<unknown> {
    return {
      settings: await ctx.db.knex('settings').orderBy('key').select('key', 'value'),
      pages: await ctx.db.knex('pages').orderBy('id').select('slug', 'title', 'body'),
      audit: (await auditLog(ctx.db.knex).list({}, 100)).length
    }
  }

  const gets = ['/admin', '/admin/settings', '/admin/pages', '/admin/pages/new', () => `/admin/pages/${pageId}/edit`]
  const posts: Array<[string | (() => string), () => string]> = [
    ['/admin/settings', () => formBody(VALID_SETTINGS.map(([k, v]) => [k, k === 'site_name' ? '被改掉了' : v]))],
    ['/admin/pages', () => formBody([['slug', 'evil'], ['title', '坏'], ['body', '坏']])],
    [() => `/admin/pages/${pageId}`, () => formBody([['slug', 'about'], ['title', '坏'], ['body', '坏']])],
    [() => `/admin/pages/${pageId}/delete`, () => '']
  ]

  it.each(['guest', 'member', 'moderator'] as Who[])('refuses a %s on every admin page and every admin form, changing nothing', async (who) => {
    const agent = await agentFor(who)
    const expected = who === 'guest' ? 401 : 403
    for (const path of gets) {
      const url = typeof path === 'function' ? path() : path
      const res = await agent.get(url)
      expect({ url, status: res.status }).toEqual({ url, status: expected })
      if (who === 'guest') expect(res.text).toContain('/login?return=')
    }
    const before = await snapshot()
    const token = await csrfToken(agent, who === 'guest' ? '/login' : '/')
    for (const [path, body] of posts) {
      const url = typeof path === 'function' ? path() : path
      const sent = body()
      const res = await agent.post(url).type('form').send(sent === '' ? `_csrf=${encodeURIComponent(token)}` : `${sent}&_csrf=${encodeURIComponent(token)}`)
      expect({ url, status: res.status }).toEqual({ url, status: expected })
    }
    expect(await snapshot()).toEqual(before)
  })

  it('refuses an admin\'s form without its CSRF token', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const before = await snapshot()
    const res = await agent.post('/admin/settings').type('form').send(formBody(VALID_SETTINGS))
    expect(res.status).toBe(403)
    expect(await snapshot()).toEqual(before)
  })

  it('shows an admin 站点状态: counts today/total, review queues linked, database, version, uptime; the menu greys what is not built', async () => {
    // Threads and posts first (posting moves the clock on), then dated around the status page's now.
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '状态版块' })
    const poster = await login(ctx.t.agent().set('User-Agent', BROWSER), users.member?.username ?? '', users.member?.password ?? '')
    const today = await postThread(ctx.t, poster, boardId, '今天的主题')
    await postReply(ctx.t, poster, today, '今天的回复')
    const old = await postThread(ctx.t, poster, boardId, '三天前的主题')
    const removed = await postThread(ctx.t, poster, boardId, '已删除的主题')
    const now = ctx.t.clock.now()
    await ctx.db.knex('threads').where({ id: today }).update({ created_at: now })
    await ctx.db.knex('posts').where({ thread_id: today }).update({ created_at: now })
    await ctx.db.knex('threads').where({ id: old }).update({ created_at: now - 3 * 86400 })
    await ctx.db.knex('posts').where({ thread_id: old }).update({ created_at: now - 3 * 86400 })
    await ctx.db.knex('threads').where({ id: removed }).update({ status: 'deleted' })
    await ctx.db.knex('posts').where({ thread_id: removed }).update({ status: 'deleted' })
    const category = await createCategory(ctx.db.knex)
    await createArticle(ctx.db.knex, { categoryId: category, authorId: admin.id, publishedAt: now })
    await createArticle(ctx.db.knex, { categoryId: category, authorId: admin.id, publishedAt: now - 3 * 86400 })
    await createArticle(ctx.db.knex, { categoryId: category, authorId: admin.id, publishedAt: now, status: 'draft' })
    const article = await ctx.db.knex('articles').first<{ id: number }>('id')
    await ctx.db.knex('comments').insert([
      { article_id: article?.id, author_id: users.member?.id, status: 'pending', body: '待审', created_at: now },
      { article_id: article?.id, author_id: users.member?.id, status: 'visible', body: '好', created_at: now }
    ])
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const res = await agent.get('/admin').expect(200)
    const cells = (label: string): string[] => {
      const row = new RegExp(`<tr><td>${label}</td><td>(\\d+)</td><td>(\\d+)</td></tr>`).exec(res.text)
      return [row?.[1] ?? '', row?.[2] ?? '']
    }
    expect(cells('会员')).toEqual(['0', '3']) // the factories' members joined 30 days ago
    expect(cells('文章')).toEqual(['1', '2']) // the draft is not counted
    expect(cells('评论')).toEqual(['2', '2'])
    expect(cells('主题')).toEqual(['1', '2']) // the deleted thread is not counted
    expect(cells('帖子（含回复）')).toEqual(['2', '3']) // 楼主 posts count, the deleted thread's do not
    expect(res.text).toContain('<a href="/mod/comments">1 条待审核</a>')
    expect(res.text).toContain('<a href="/mod/posts">0 条待审核</a>')
    // The size as a number on both (information_schema on MariaDB, the page count on SQLite).
    expect(res.text).toMatch(dialect === 'sqlite' ? /SQLite，约 \d+(\.\d)? (KB|MB)/ : /MariaDB \/ MySQL，约 \d+(\.\d)? (KB|MB)/)
    expect(res.text).toMatch(/luntan \d+\.\d+\.\d+/)
    expect(res.text).toContain('进程已运行')
    expect(res.text).toContain('<a href="/admin/members">用户管理</a>')
    expect(res.text).toContain('<a href="/admin/reactions">表态</a>')
    expect(res.text).toContain('<a href="/admin/categories">门户频道</a>')
    expect(res.text).toContain('<a href="/admin/words">屏蔽词</a>')
    const home = await agent.get('/').expect(200)
    expect(home.text).toContain('<a href="/admin">管理中心</a>')
    const member = await agentFor('moderator')
    expect((await member.get('/').expect(200)).text).not.toContain('<a href="/admin">')
  })

  it('declares a schema and a rate limit on every admin route', () => {
    const admin = ctx.t.app.routeTable.filter((r) => /^\/admin(\/|$)/.test(r.url))
    expect(admin.length).toBeGreaterThan(30)
    expect(admin.filter((r) => !r.schema).map((r) => `${r.method} ${r.url}`)).toEqual([])
    expect(admin.filter((r) => !r.rateLimit).map((r) => `${r.method} ${r.url}`)).toEqual([])
  })

  it('answers an admin past an admin page\'s limit with the Chinese 429 page', async () => {
    // Its own app: the limit counts in the process's memory, from zero.
    const fresh = await ctx.secondApp()
    try {
      const agent = await login(fresh.agent(), admin.username, admin.password)
      for (let i = 0; i < 60; i++) await agent.get('/admin/words').expect(200)
      const refused = await agent.get('/admin/words')
      expect(refused.status).toBe(429)
      expect(refused.text).toContain('您的操作太频繁，请稍后再试')
    } finally {
      await fresh.close()
    }
  })

  it.each(['editor', 'moderator'] as const)('refuses the %s role on the five forms that once validated before asking the role: 403 for a valid form and an empty one, nothing changed', async (role) => {
    const user = await createUser(ctx.db.knex, { role })
    const agent = await login(ctx.t.agent(), user.username, user.password)
    await createCategory(ctx.db.knex, { name: `${role}甲` })
    const category = await createCategory(ctx.db.knex, { name: `${role}乙` })
    const { groupId } = await createGroupWithBoard(ctx.db.knex)
    const board = await createBoard(ctx.db.knex, { parentId: groupId })
    const structure = async (): Promise<unknown> => ({
      ...await snapshot() as object,
      reactions: await ctx.db.knex('reaction_kinds').orderBy('key').select('key', 'name', 'display_order', 'enabled'),
      categories: await ctx.db.knex('categories').orderBy('id').select('id', 'name', 'display_order'),
      boards: await ctx.db.knex('boards').orderBy('id').select('id', 'name', 'display_order')
    })
    const forms: Array<[string, Array<[string, string]>]> = [
      ['/admin/pages', [['slug', `by-${role}`], ['title', '越权的单页'], ['body', '正文']]],
      [`/admin/pages/${pageId}`, [['slug', 'about'], ['title', '越权改名'], ['body', '越权的正文']]],
      ['/admin/reactions/luguo/move', [['direction', 'down']]],
      [`/admin/categories/${category}/order`, [['dir', 'up']]],
      [`/admin/boards/${board}/order`, [['dir', 'up']]]
    ]
    const before = await structure()
    const token = await csrfToken(agent, '/')
    for (const [url, fields] of forms) {
      for (const sent of [fields, []]) {
        const res = await agent.post(url).type('form').send(formBody([...sent, ['_csrf', token]]))
        expect({ url, sent, status: res.status }).toEqual({ url, sent, status: 403 })
        expect(res.text).toContain('抱歉，您没有权限进行此操作')
      }
    }
    expect(await structure()).toEqual(before)
    // The same forms are valid: an admin's go through.
    const adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
    const adminToken = await csrfToken(adminAgent, '/')
    for (const [url, fields] of forms) {
      const res = await adminAgent.post(url).type('form').send(formBody([...fields, ['_csrf', adminToken]]))
      expect({ url, status: res.status }).toEqual({ url, status: 303 })
    }
    // Put 路过 back where it was for the other tests.
    await adminAgent.post('/admin/reactions/luguo/move').type('form').send(formBody([['direction', 'up'], ['_csrf', adminToken]])).expect(303)
  })
})
