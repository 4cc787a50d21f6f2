import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import type supertest from 'supertest'

async function postPage (agent: supertest.Agent, path: string, fields: Record<string, string>): Promise<supertest.Response> {
  return await agent.post(path).type('form').send({ _csrf: await csrfToken(agent, '/'), ...fields })
}

describe.each(dialects)('单页 /page/:slug and /admin/pages on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let agent: supertest.Agent

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  it('creates a page from Markdown, shows it sanitized in the site layout, and audits the creation', async () => {
    const body = '## 欢迎\n\n我们是**濠江社区**。\n\n<script>alert(1)</script>\n\n[链接](javascript:alert(2)) <img src="/static/img/logo.svg" onerror="alert(3)">'
    const res = await postPage(agent, '/admin/pages', { slug: 'about', title: '关于我们', body })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/admin/pages?done=created')
    const page = await ctx.t.agent().get('/page/about').expect(200)
    expect(page.text).toContain('<title>关于我们 - ')
    expect(page.text).toContain('<h2>欢迎</h2>')
    expect(page.text).toContain('<strong>濠江社区</strong>')
    const content = /<div class="bm_c article-body">([\s\S]*?)<\/div>/.exec(page.text)?.[1] ?? ''
    expect(content).not.toMatch(/<script|javascript:|onerror/i)
    expect(page.text).toContain('id="ft"') // the site's layout
    const row = await ctx.db.knex('pages').where('slug', 'about').first<{ id: number, updated_by: number }>()
    expect(row?.updated_by).toBe(admin.id)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'page_create' }, 1)
    expect(audit?.target_type).toBe('page')
    expect(audit?.target_id).toBe(row?.id)
    expect(audit?.before_state).toBeNull()
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ slug: 'about', title: '关于我们' })
    const list = await agent.get('/admin/pages?done=created').expect(200)
    expect(list.text).toContain('单页已创建')
    expect(list.text).toContain('/page/about')
  })

  it('answers 404 for unknown and malformed slugs', async () => {
    await ctx.t.agent().get('/page/nope').expect(404)
    await ctx.t.agent().get('/page/About').expect(404)
    await ctx.t.agent().get('/page/a_b').expect(404)
    await ctx.t.agent().get('/page/' + 'a'.repeat(33)).expect(404)
  })

  const bad: Array<[string, Record<string, string>, string]> = [
    ['an upper-case slug', { slug: 'About-Us' }, '页面标识只能使用小写字母、数字和连字符'],
    ['a slug with a slash', { slug: 'a/b' }, '页面标识只能使用小写字母、数字和连字符'],
    ['a slug of 33 characters', { slug: 'a'.repeat(33) }, '页面标识只能使用小写字母、数字和连字符'],
    ['an empty slug', { slug: '' }, '页面标识只能使用小写字母、数字和连字符'],
    ['a taken slug', { slug: 'about' }, '该页面标识已被使用'],
    ['an empty title', { title: '  ' }, '标题不能为空，最多 80 个字符'],
    ['a title of 81 characters', { title: '题'.repeat(81) }, '标题不能为空，最多 80 个字符'],
    ['an empty body', { body: ' \n ' }, '内容不能为空'],
    ['a body over 20,000 characters', { body: '字'.repeat(20_001) }, '内容最多 20000 个字符']
  ]

  it.each(bad)('refuses %s with its message, keeping what was typed, creating nothing', async (_name, override, message) => {
    const before = await ctx.db.knex('pages').count<Array<{ n: number | string }>>('* as n').first()
    const res = await postPage(agent, '/admin/pages', { slug: 'help', title: '帮助中心', body: '内容', ...override })
    expect(res.status).toBe(400)
    expect(res.text).toContain(message)
    expect(res.text).toContain('单页没有保存')
    if (override.title !== undefined && override.title.trim() !== '') expect(res.text).toContain(override.title)
    const after = await ctx.db.knex('pages').count<Array<{ n: number | string }>>('* as n').first()
    expect(Number(after?.n)).toBe(Number(before?.n))
  })

  it('edits a page (rendered again on save) and audits before/after', async () => {
    const row = await ctx.db.knex('pages').where('slug', 'about').first<{ id: number }>()
    const id = Number(row?.id)
    const form = await agent.get(`/admin/pages/${id}/edit`).expect(200)
    expect(form.text).toContain('value="about"')
    ctx.t.clock.advance(60)
    const res = await postPage(agent, `/admin/pages/${id}`, { slug: 'about', title: '关于濠江社区', body: '新的*介绍*' })
    expect(res.status).toBe(303)
    const page = await ctx.t.agent().get('/page/about').expect(200)
    expect(page.text).toContain('<em>介绍</em>')
    expect(page.text).toContain('关于濠江社区')
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'page_edit' }, 1)
    expect(audit?.target_id).toBe(id)
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ slug: 'about', title: '关于我们' })
    expect(JSON.parse(audit?.after_state ?? '{}')).toEqual({ slug: 'about', title: '关于濠江社区', body: '新的*介绍*' })
    await agent.get('/admin/pages/99999/edit').expect(404)
  })

  it('deletes a page (then 404) and audits it', async () => {
    expect((await postPage(agent, '/admin/pages', { slug: 'jobs', title: '诚聘英才', body: '招募志愿者' })).status).toBe(303)
    const row = await ctx.db.knex('pages').where('slug', 'jobs').first<{ id: number }>()
    const res = await postPage(agent, `/admin/pages/${Number(row?.id)}/delete`, {})
    expect(res.status).toBe(303)
    await ctx.t.agent().get('/page/jobs').expect(404)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'page_delete' }, 1)
    expect(audit?.target_id).toBe(Number(row?.id))
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ slug: 'jobs', title: '诚聘英才', body: '招募志愿者' })
    expect(audit?.after_state).toBeNull()
    expect((await postPage(agent, `/admin/pages/${Number(row?.id)}/delete`, {})).status).toBe(404)
  })

  it('lists pages by slug with keyset paging', async () => {
    for (let i = 0; i < 51; i++) {
      await ctx.db.knex('pages').insert({ slug: `p-${String(i).padStart(2, '0')}`, title: `页${i}`, body: 'x', body_html: '<p>x</p>', render_version: 1, created_at: 1, updated_at: 1, updated_by: null })
    }
    const first = await agent.get('/admin/pages').expect(200)
    expect(first.text).toContain('/page/about')
    expect(first.text).toContain('href="/admin/pages?after=p-48"')
    const second = await agent.get('/admin/pages?after=p-48').expect(200)
    expect(second.text).toContain('/page/p-49')
    expect(second.text).toContain('/page/p-50')
    expect(second.text).not.toContain('/page/p-48"')
    expect(second.text).not.toContain('下一页')
  })
})
