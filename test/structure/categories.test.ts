import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { postForm } from './helpers'

interface Row { id: number, parent_id: number | null, name: string, display_order: number, allow_comments: number | boolean }

describe.each(dialects)('门户频道 /admin/categories on %s', (dialect) => {
  const ctx = useTestApp(dialect, { second: true })
  let admin: CreatedUser
  let agent: supertest.Agent
  const users: Record<'member' | 'moderator', CreatedUser | null> = { member: null, moderator: null }

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    users.member = await createUser(ctx.db.knex)
    users.moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  const categories = async (): Promise<Row[]> => await ctx.db.knex('categories').orderBy('id').select<Row[]>('id', 'parent_id', 'name', 'display_order', 'allow_comments')
  const byName = async (name: string): Promise<Row> => {
    const row = (await categories()).find((c) => c.name === name)
    if (row === undefined) throw new Error(`no category ${name}`)
    return row
  }
  const auditCount = async (): Promise<number> => (await auditLog(ctx.db.knex).list({}, 1000)).length

  it('creates top-level and sub-categories from the list page, shows them as a tree and audits each', async () => {
    const res = await postForm(agent, '/admin/categories', { name: '本地新闻', description: '汕头本地', parent_id: '', display_order: '5', allow_comments: '1' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/admin/categories?done=created')
    const news = await byName('本地新闻')
    expect(news).toMatchObject({ parent_id: null, display_order: 5 })
    expect(Boolean(news.allow_comments)).toBe(true)
    expect((await postForm(agent, '/admin/categories', { name: '民生', parent_id: String(news.id), display_order: '1', allow_comments: '1' })).status).toBe(303)
    const page = await agent.get('/admin/categories?done=created').expect(200)
    expect(page.text).toContain('分类已创建')
    expect(page.text).toMatch(/depth-1"><span class="xg1">└ <\/span><a href="\/category\/\d+">民生<\/a>/)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'category_create' }, 1)
    expect(audit?.target_type).toBe('category')
    expect(audit?.actor_id).toBe(admin.id)
    expect(audit?.before_state).toBeNull()
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ name: '民生', parent_id: news.id })
  })

  it.each([
    ['an empty name', { name: '  ' }, '请填写分类名称'],
    ['a name over 20 characters', { name: '一二三四五六七八九十一二三四五六七八九十一' }, '分类名称不能超过 20 个字'],
    ['a parent that does not exist', { parent_id: '999999' }, '上级分类不存在'],
    ['a malformed parent', { parent_id: 'abc' }, '上级分类不存在'],
    ['a negative display order', { display_order: '-1' }, '显示顺序须为 0 到 9999 之间的整数']
  ])('refuses %s with a Chinese message and changes nothing', async (_label, fields, message) => {
    const before = await categories()
    const audits = await auditCount()
    const res = await postForm(agent, '/admin/categories', { name: '合法名称', parent_id: '', display_order: '0', ...fields })
    expect(res.status).toBe(400)
    expect(res.text).toContain(message)
    expect(res.text).toContain('分类没有保存')
    expect(await categories()).toEqual(before)
    expect(await auditCount()).toBe(audits)
  })

  it('renames and moves a category, refusing a move under itself or its descendant', async () => {
    const top = await createCategory(ctx.db.knex, { name: '生活' })
    const child = await createCategory(ctx.db.knex, { name: '美食', parentId: top })
    const grandchild = await createCategory(ctx.db.knex, { name: '牛肉丸', parentId: child })
    const before = await categories()
    const audits = await auditCount()
    for (const parent of [top, child, grandchild]) {
      const res = await postForm(agent, `/admin/categories/${top}`, { name: '生活', parent_id: String(parent), display_order: '0', allow_comments: '1' })
      expect(res.status).toBe(400)
      expect(res.text).toContain('不能把分类移到它自己或它的下级分类之下')
    }
    expect(await categories()).toEqual(before)
    expect(await auditCount()).toBe(audits)
    // The edit page offers no such parent in the first place.
    const edit = await agent.get(`/admin/categories/${top}/edit`).expect(200)
    const parentSelect = /<select id="cat-parent"[\s\S]*?<\/select>/.exec(edit.text)?.[0] ?? ''
    expect(parentSelect).toContain('本地新闻')
    expect(parentSelect).not.toContain(`<option value="${child}"`)
    expect(parentSelect).not.toContain(`<option value="${grandchild}"`)

    const news = await byName('本地新闻')
    const moved = await postForm(agent, `/admin/categories/${child}`, { name: '潮汕美食', description: '', parent_id: String(news.id), display_order: '3', allow_comments: '1' })
    expect(moved.status).toBe(303)
    expect(await byName('潮汕美食')).toMatchObject({ id: child, parent_id: news.id, display_order: 3 })
    expect((await byName('牛肉丸')).parent_id).toBe(child)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'category_edit' }, 1)
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ name: '美食', parent_id: top })
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ name: '潮汕美食', parent_id: news.id })
    // Now the old parent may go under its former child's subtree? No: 生活 is no longer above it, so it may.
    expect((await postForm(agent, `/admin/categories/${top}`, { name: '生活', parent_id: String(grandchild), display_order: '0', allow_comments: '1' })).status).toBe(303)
  })

  it('switches 允许评论 off for a category (an unticked box)', async () => {
    const id = await createCategory(ctx.db.knex, { name: '公告' })
    const res = await postForm(agent, `/admin/categories/${id}`, { name: '公告', parent_id: '', display_order: '0' })
    expect(res.status).toBe(303)
    expect(Boolean((await byName('公告')).allow_comments)).toBe(false)
  })

  it('moves a category up and down among its siblings', async () => {
    const parent = await createCategory(ctx.db.knex, { name: '排序父' })
    const a = await createCategory(ctx.db.knex, { name: '排序甲', parentId: parent })
    const b = await createCategory(ctx.db.knex, { name: '排序乙', parentId: parent })
    const c = await createCategory(ctx.db.knex, { name: '排序丙', parentId: parent })
    const order = async (): Promise<number[]> => (await ctx.db.knex('categories').where({ parent_id: parent }).orderBy([{ column: 'display_order' }, { column: 'id' }]).pluck<number[]>('id')).map(Number)
    expect(await order()).toEqual([a, b, c])
    const displayOrders = async (): Promise<Record<string, number>> => Object.fromEntries((await ctx.db.knex('categories').where({ parent_id: parent }).select<Array<{ id: number, display_order: number }>>('id', 'display_order')).map((r) => [String(r.id), Number(r.display_order)]))
    const ordersBefore = await displayOrders()
    expect((await postForm(agent, `/admin/categories/${c}/order`, { dir: 'up' })).status).toBe(303)
    expect(await order()).toEqual([a, c, b])
    // One audit row: the siblings' display orders before and after, by id.
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'category_order' }, 5)
    expect(audit).toMatchObject({ actor_id: admin.id, target_type: 'category', target_id: c })
    expect(JSON.parse(audit?.before_state ?? '{}')).toEqual(ordersBefore)
    expect(JSON.parse(audit?.after_state ?? '{}')).toEqual(await displayOrders())
    expect(await displayOrders()).not.toEqual(ordersBefore)
    expect((await postForm(agent, `/admin/categories/${a}/order`, { dir: 'down' })).status).toBe(303)
    expect(await order()).toEqual([c, a, b])
    const audits = await auditCount()
    const edge = await postForm(agent, `/admin/categories/${c}/order`, { dir: 'up' })
    expect(edge.status).toBe(400)
    expect(edge.text).toContain('已经在最前（或最后）')
    expect(await order()).toEqual([c, a, b])
    expect(await auditCount()).toBe(audits)
    expect((await postForm(agent, `/admin/categories/${c}/order`, { dir: 'sideways' })).status).toBe(400)
  })

  it('refuses to delete a category with articles (in it or a subcategory) until they are moved, then deletes it', async () => {
    const parent = await createCategory(ctx.db.knex, { name: '旧栏目' })
    const sub = await createCategory(ctx.db.knex, { name: '旧子栏目', parentId: parent })
    const target = await createCategory(ctx.db.knex, { name: '新栏目' })
    await createArticle(ctx.db.knex, { categoryId: sub, authorId: admin.id, title: '子栏目文章' })
    await createArticle(ctx.db.knex, { categoryId: sub, authorId: admin.id, title: '待审文章', status: 'pending' })
    const before = await categories()
    const refused = await postForm(agent, `/admin/categories/${parent}/delete`)
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('该分类及其子分类中还有 2 篇文章，请先把文章移到其他分类')
    expect(await categories()).toEqual(before)
    const subRefused = await postForm(agent, `/admin/categories/${sub}/delete`)
    expect(subRefused.text).toContain('还有 2 篇文章')
    // An empty parent with a subcategory: the subcategory goes first.
    const missingTarget = await postForm(agent, `/admin/categories/${sub}/move-articles`, { target_id: '' })
    expect(missingTarget.status).toBe(400)
    expect(missingTarget.text).toContain('请选择要移入的目标分类')
    const moved = await postForm(agent, `/admin/categories/${sub}/move-articles`, { target_id: String(target) })
    expect(moved.status).toBe(303)
    expect(Number((await ctx.db.knex('articles').where({ category_id: target }).count<Array<{ n: number }>>({ n: '*' }))[0]?.n)).toBe(2)
    const [movedAudit] = await auditLog(ctx.db.knex).list({ action: 'category_move_articles' }, 1)
    expect(JSON.parse(movedAudit?.after_state ?? '{}')).toEqual({ category_id: target, articles: 2 })
    const hasChild = await postForm(agent, `/admin/categories/${parent}/delete`)
    expect(hasChild.status).toBe(400)
    expect(hasChild.text).toContain('该分类下还有子分类')
    expect((await postForm(agent, `/admin/categories/${sub}/delete`)).status).toBe(303)
    expect((await postForm(agent, `/admin/categories/${parent}/delete`)).status).toBe(303)
    expect((await categories()).map((c) => c.id)).not.toContain(parent)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'category_delete' }, 1)
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ id: parent, name: '旧栏目' })
    expect(audit?.after_state).toBeNull()
    await agent.get(`/admin/categories/${parent}/edit`).expect(404)
  })

  it('shows a rename on this process at once and on another process within the 5-second category cache', async () => {
    const id = await createCategory(ctx.db.knex, { name: '缓存旧名' })
    await createArticle(ctx.db.knex, { categoryId: id, authorId: admin.id, title: '缓存测试文章' })
    // Both processes have read the tree.
    expect((await ctx.t.agent().get(`/category/${id}`).expect(200)).text).toContain('缓存旧名')
    expect((await ctx.t2.agent().get(`/category/${id}`).expect(200)).text).toContain('缓存旧名')
    expect((await postForm(agent, `/admin/categories/${id}`, { name: '缓存新名', parent_id: '', display_order: '0', allow_comments: '1' })).status).toBe(303)
    expect((await ctx.t.agent().get(`/category/${id}`).expect(200)).text).toContain('缓存新名')
    ctx.t.clock.advance(2)
    expect((await ctx.t2.agent().get(`/category/${id}`).expect(200)).text).toContain('缓存旧名')
    ctx.t.clock.advance(4)
    expect((await ctx.t2.agent().get(`/category/${id}`).expect(200)).text).toContain('缓存新名')
  })

  describe('doors', () => {
    let victim = 0
    beforeAll(async () => { victim = await createCategory(ctx.db.knex, { name: '门禁测试' }) })
    const routes = (): Array<[string, Record<string, string>]> => [
      ['/admin/categories', { name: '闯入者', parent_id: '', display_order: '0' }],
      [`/admin/categories/${victim}`, { name: '被改名', parent_id: '', display_order: '0' }],
      [`/admin/categories/${victim}/order`, { dir: 'up' }],
      [`/admin/categories/${victim}/move-articles`, { target_id: '1' }],
      [`/admin/categories/${victim}/delete`, {}]
    ]

    it.each(['guest', 'member', 'moderator'] as const)('refuses a %s on every page and form, changing nothing', async (who) => {
      const user = who === 'guest' ? null : users[who]
      const a = user === null ? ctx.t.agent() : await login(ctx.t.agent(), user.username, user.password)
      const before = await categories()
      const audits = await auditCount()
      const status = who === 'guest' ? 401 : 403
      await a.get('/admin/categories').expect(status)
      await a.get(`/admin/categories/${victim}/edit`).expect(status)
      const token = await csrfToken(a, who === 'guest' ? '/login' : '/')
      for (const [path, fields] of routes()) expect([path, (await a.post(path).type('form').send({ _csrf: token, ...fields })).status]).toEqual([path, status])
      expect(await categories()).toEqual(before)
      expect(await auditCount()).toBe(audits)
    })

    it('refuses an admin form without the CSRF token', async () => {
      const before = await categories()
      const res = await agent.post(`/admin/categories/${victim}/delete`).type('form').send({})
      expect(res.status).toBe(403)
      expect(await categories()).toEqual(before)
    })

    it('answers 404 for an unknown or malformed id', async () => {
      await agent.get('/admin/categories/999999/edit').expect(404)
      await agent.get('/admin/categories/abc/edit').expect(404)
      expect((await postForm(agent, '/admin/categories/999999/delete')).status).toBe(404)
    })
  })
})
