import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
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
    const now = ctx.t.clock.now()
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
    expect(res.text).toContain('<a href="/mod/comments">1 条待审核</a>')
    expect(res.text).toContain('<a href="/mod/posts">0 条待审核</a>')
    expect(res.text).toMatch(dialect === 'sqlite' ? /SQLite，约 \d+ (KB|MB)/ : /MariaDB \/ MySQL/)
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
})
