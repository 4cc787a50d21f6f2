import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { postForm } from '../structure/helpers'

describe.each(dialects)('频道编辑 on the category edit page on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let member: CreatedUser
  let moderator: CreatedUser
  let news: number
  let agent: supertest.Agent

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    member = await createUser(ctx.db.knex, { username: 'XiaoLi' })
    moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    news = await createCategory(ctx.db.knex, { name: '本地新闻' })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  const editorsOf = async (categoryId: number): Promise<number[]> =>
    (await ctx.db.knex('category_editors').where({ category_id: categoryId }).select<Array<{ user_id: number }>>('user_id')).map((r) => Number(r.user_id))

  it('grants a member by name (any case): they become an editor who may publish there; revoking refuses them again; both audited', async () => {
    const page = await agent.get(`/admin/categories/${news}/edit`).expect(200)
    expect(page.text).toContain('频道编辑')
    expect(page.text).toContain('本分类还没有编辑')
    const writer = await login(ctx.t.agent(), member.username, member.password)
    expect((await writer.get('/portal/write')).status).toBe(403)

    const res = await postForm(agent, `/admin/categories/${news}/editors`, { username: ' xiaoli ' }, `/admin/categories/${news}/edit`)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/admin/categories/${news}/edit?editors=granted`)
    expect(await editorsOf(news)).toEqual([member.id])
    expect((await ctx.db.knex('users').where({ id: member.id }).first('role')).role).toBe('editor')
    const listed = await agent.get(`/admin/categories/${news}/edit?editors=granted`).expect(200)
    expect(listed.text).toContain('已授予编辑权限')
    expect(listed.text).toContain(`>XiaoLi</a>`)
    expect(listed.text).toContain(`/admin/categories/${news}/editors/${member.id}/revoke`)

    const write = await writer.get('/portal/write').expect(200)
    expect(write.text).toContain(`<option value="${news}"`)

    const revoke = await postForm(agent, `/admin/categories/${news}/editors/${member.id}/revoke`, {}, `/admin/categories/${news}/edit`)
    expect(revoke.status).toBe(303)
    expect(revoke.headers.location).toBe(`/admin/categories/${news}/edit?editors=revoked`)
    expect(await editorsOf(news)).toEqual([])
    // The role stays (as the CLI's revoke), but an editor without categories publishes nothing.
    expect((await ctx.db.knex('users').where({ id: member.id }).first('role')).role).toBe('editor')
    const refused = await writer.get('/portal/write')
    expect(refused.status).toBe(403)

    const actions = (await auditLog(ctx.db.knex).list({}, 100)).map((e) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['category_editor_grant', 'category_editor_revoke']))
  })

  it('refuses an unknown name, an empty name, a second grant and a revoke of a non-editor with a message, changing nothing', async () => {
    const from = `/admin/categories/${news}/edit`
    const unknown = await postForm(agent, `/admin/categories/${news}/editors`, { username: '没有这个人' }, from)
    expect(unknown.status).toBe(400)
    expect(unknown.text).toContain('用户“没有这个人”不存在')
    expect(unknown.text).toContain('value="没有这个人"')
    const empty = await postForm(agent, `/admin/categories/${news}/editors`, { username: '  ' }, from)
    expect(empty.status).toBe(400)
    expect(empty.text).toContain('请输入要授权的用户名')
    expect((await postForm(agent, `/admin/categories/${news}/editors`, { username: moderator.username }, from)).status).toBe(303)
    const again = await postForm(agent, `/admin/categories/${news}/editors`, { username: moderator.username }, from)
    expect(again.status).toBe(400)
    expect(again.text).toContain('已是本分类的编辑')
    // A moderator granted a category keeps their role.
    expect((await ctx.db.knex('users').where({ id: moderator.id }).first('role')).role).toBe('moderator')
    const notEditor = await postForm(agent, `/admin/categories/${news}/editors/${admin.id}/revoke`, {}, from)
    expect(notEditor.status).toBe(400)
    expect(notEditor.text).toContain('该用户不是本分类的编辑')
    expect(await editorsOf(news)).toEqual([moderator.id])
    expect((await postForm(agent, `/admin/categories/999999/editors`, { username: member.username }, from)).status).toBe(404)
  })

  it('refuses guests, members and moderators on the page and the forms', async () => {
    const before = await editorsOf(news)
    const guest = ctx.t.agent()
    expect((await guest.get(`/admin/categories/${news}/edit`)).status).toBe(401)
    const token = await csrfToken(guest, '/login')
    const g = await guest.post(`/admin/categories/${news}/editors`).type('form').send({ _csrf: token, username: member.username })
    expect([g.status, g.text.includes('表单已过期')]).toEqual([401, false])
    for (const u of [member, moderator]) {
      const a = await login(ctx.t.agent(), u.username, u.password)
      expect((await a.get(`/admin/categories/${news}/edit`)).status).toBe(403)
      expect((await postForm(a, `/admin/categories/${news}/editors`, { username: u.username })).status).toBe(403)
      expect((await postForm(a, `/admin/categories/${news}/editors/${moderator.id}/revoke`)).status).toBe(403)
    }
    expect(await editorsOf(news)).toEqual(before)
  })
})
