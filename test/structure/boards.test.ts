import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, csrfToken, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, postReply, postThread } from '../forum/helpers'
import { postForm } from './helpers'

interface Row { id: number, parent_id: number | null, is_group: number | boolean, name: string, display_order: number, guest_visible: number | boolean, thread_types: string | null, thread_count: number, post_count: number }

describe.each(dialects)('论坛版块 /admin/boards on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let member: CreatedUser
  let moderator: CreatedUser
  let agent: supertest.Agent

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    member = await createUser(ctx.db.knex)
    moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    agent = await login(ctx.t.agent().set('User-Agent', BROWSER), admin.username, admin.password)
  })

  const boards = async (): Promise<Row[]> => await ctx.db.knex('boards').orderBy('id').select<Row[]>('id', 'parent_id', 'is_group', 'name', 'display_order', 'guest_visible', 'thread_types', 'thread_count', 'post_count')
  const board = async (id: number): Promise<Row> => {
    const row = (await boards()).find((b) => b.id === id)
    if (row === undefined) throw new Error(`no board ${id}`)
    return row
  }
  const idOf = async (name: string): Promise<number> => {
    const row = (await boards()).find((b) => b.name === name)
    if (row === undefined) throw new Error(`no board ${name}`)
    return row.id
  }
  const auditCount = async (): Promise<number> => (await auditLog(ctx.db.knex).list({}, 1000)).length
  const guest = (): supertest.Agent => ctx.t.agent().set('User-Agent', BROWSER)
  const boardFields = (fields: Record<string, string>): Record<string, string> => ({ description: '', display_order: '0', ...fields })

  it('creates a group, a board in it and a sub-board, audited; the forum index shows them', async () => {
    expect((await postForm(agent, '/admin/boards', boardFields({ kind: 'group', name: '汕头生活' }))).status).toBe(303)
    const group = await idOf('汕头生活')
    expect((await postForm(agent, '/admin/boards', boardFields({ kind: 'board', name: '美食天地', parent_id: String(group) }))).status).toBe(303)
    const food = await idOf('美食天地')
    expect((await postForm(agent, '/admin/boards', boardFields({ kind: 'board', name: '牛肉火锅', parent_id: String(food) }))).status).toBe(303)
    const sub = await idOf('牛肉火锅')
    expect(await board(group)).toMatchObject({ parent_id: null })
    expect(Boolean((await board(group)).is_group)).toBe(true)
    expect(await board(sub)).toMatchObject({ parent_id: food })
    const index = await guest().get('/forum').expect(200)
    expect(index.text).toContain('汕头生活')
    expect(index.text).toContain('美食天地')
    const list = await agent.get('/admin/boards?done=created').expect(200)
    expect(list.text).toContain('已创建')
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'board_create' }, 1)
    expect(audit?.target_type).toBe('board')
    expect(audit?.target_id).toBe(sub)
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ name: '牛肉火锅', parent_id: food, is_group: false })
  })

  it('refuses boards without a parent, too deep, or with bad fields, changing nothing', async () => {
    const food = await idOf('美食天地')
    const sub = await idOf('牛肉火锅')
    const before = await boards()
    const audits = await auditCount()
    const cases: Array<[Record<string, string>, string]> = [
      [{ kind: 'board', name: '孤儿版块', parent_id: '' }, '版块必须属于一个分区或上级版块'],
      [{ kind: 'board', name: '太深了', parent_id: String(sub) }, '子版块下不能再建版块'],
      [{ kind: 'board', name: '', parent_id: String(food) }, '请填写版块名称'],
      [{ kind: 'group', name: '一二三四五六七八九十一二三四五六七八九十一' }, '分区名称不能超过 20 个字'],
      [{ kind: 'board', name: '重复分类', parent_id: String(food), thread_types: '求助\n求助' }, '主题分类“求助”重复了'],
      [{ kind: 'board', name: '长分类', parent_id: String(food), thread_types: '这是一个很长很长的分类' }, '超过 8 个字'],
      [{ kind: 'board', name: '牛肉火锅', parent_id: String(food) }, '同一上级下已有同名版块']
    ]
    for (const [fields, message] of cases) {
      const res = await postForm(agent, '/admin/boards', boardFields(fields))
      expect([fields.name, res.status]).toEqual([fields.name, 400])
      expect(res.text).toContain(message)
    }
    expect(await boards()).toEqual(before)
    expect(await auditCount()).toBe(audits)
  })

  it('moves a board with its threads to another group: counters and links stay right; a cycle is refused', async () => {
    const { groupId: fromGroup, boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '搬家版块' })
    const toGroup = await createBoard(ctx.db.knex, { isGroup: true, name: '新分区' })
    const sub = await createBoard(ctx.db.knex, { parentId: boardId, name: '搬家子版块' })
    const poster = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const thread = await postThread(ctx.t, poster, boardId, '跟着版块一起搬家的主题')
    await postReply(ctx.t, poster, thread, '第一条回复，内容足够长。')
    await postThread(ctx.t, poster, sub, '子版块里的主题')
    const before = await board(boardId)
    expect(before).toMatchObject({ thread_count: 1, post_count: 2 })
    const indexBefore = await guest().get('/forum').expect(200)

    const audits = await auditCount()
    for (const parent of [boardId, sub]) {
      const res = await postForm(agent, `/admin/boards/${boardId}`, boardFields({ name: '搬家版块', parent_id: String(parent) }))
      expect(res.status).toBe(400)
      expect(res.text).toMatch(/不能把版块移到它自己或它的下级版块之下|子版块下不能再建版块/)
    }
    // A board with sub-boards cannot become a sub-board itself.
    const other = (await createGroupWithBoard(ctx.db.knex, { boardName: '别的版块' })).boardId
    const nested = await postForm(agent, `/admin/boards/${boardId}`, boardFields({ name: '搬家版块', parent_id: String(other) }))
    expect(nested.status).toBe(400)
    expect(nested.text).toContain('该版块已有子版块')
    expect(await board(boardId)).toEqual(before)
    expect(await auditCount()).toBe(audits)

    const moved = await postForm(agent, `/admin/boards/${boardId}`, boardFields({ name: '搬家版块', parent_id: String(toGroup), display_order: '2' }))
    expect(moved.status).toBe(303)
    expect(await board(boardId)).toMatchObject({ parent_id: toGroup, thread_count: 1, post_count: 2 })
    expect(await board(sub)).toMatchObject({ parent_id: boardId, thread_count: 1, post_count: 1 })
    const totals = (html: string): string | undefined => /今日: <em>\d+<\/em>.*?帖子: <em>\d+<\/em>/s.exec(html)?.[0]
    const indexAfter = await guest().get('/forum').expect(200)
    expect(totals(indexBefore.text)).toBeDefined()
    expect(totals(indexAfter.text)).toBe(totals(indexBefore.text))
    const section = indexAfter.text.slice(indexAfter.text.indexOf('新分区'))
    expect(section).toContain(`href="/forum/${boardId}"`)
    const list = await guest().get(`/forum/${boardId}`).expect(200)
    expect(list.text).toContain(`/thread/${thread}`)
    expect(list.text).toContain('新分区')
    const page = await guest().get(`/thread/${thread}`).expect(200)
    expect(page.text).toContain('新分区')
    expect(fromGroup).toBeGreaterThan(0)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'board_edit' }, 1)
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ parent_id: fromGroup })
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ parent_id: toGroup })
  })

  it('a board made members-only disappears for guests everywhere: index, lists, thread pages, Archiver, sitemap', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '业主议事厅' })
    const sub = await createBoard(ctx.db.knex, { parentId: boardId, name: '议事子版' })
    const poster = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const thread = await postThread(ctx.t, poster, boardId, '议事厅的公开讨论')
    const subThread = await postThread(ctx.t, poster, sub, '子版的公开讨论')
    const sitemap = async (): Promise<string> => (await guest().get('/sitemap.xml').set('Host', 'bbs.example.com').expect(200)).text
    expect((await guest().get('/forum').expect(200)).text).toContain('业主议事厅')
    expect(await sitemap()).toContain(`/thread/${subThread}<`)
    expect((await guest().get('/archiver/').expect(200)).text).toContain('业主议事厅')

    const res = await postForm(agent, `/admin/boards/${boardId}`, boardFields({ name: '业主议事厅', parent_id: String((await board(boardId)).parent_id), members_only: '1' }))
    expect(res.status).toBe(303)
    expect(Boolean((await board(boardId)).guest_visible)).toBe(false)

    const index = await guest().get('/forum').expect(200)
    expect(index.text).not.toContain('业主议事厅')
    expect(index.text).not.toContain('议事子版')
    await guest().get(`/forum/${boardId}`).expect(404)
    await guest().get(`/forum/${sub}`).expect(404)
    await guest().get(`/thread/${thread}`).expect(404)
    await guest().get(`/thread/${subThread}`).expect(404)
    expect((await guest().get('/').expect(200)).text).not.toContain('议事厅的公开讨论')
    expect((await guest().get('/archiver/').expect(200)).text).not.toContain('业主议事厅')
    await guest().get(`/archiver/fid-${boardId}.html`).expect(404)
    await guest().get(`/archiver/tid-${thread}.html`).expect(404)
    await guest().get(`/archiver/tid-${subThread}.html`).expect(404)
    const map = await sitemap()
    expect(map).not.toContain(`/thread/${thread}<`)
    expect(map).not.toContain(`/thread/${subThread}<`)
    // Members still see it all.
    await poster.get(`/forum/${boardId}`).expect(200)
    await poster.get(`/thread/${subThread}`).expect(200)
    expect((await agent.get('/admin/boards').expect(200)).text).toContain('仅会员')
  })

  it('offers a board\'s 主题分类 on the new-thread form and shows the label before the title', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '求助专区' })
    const plain = (await createGroupWithBoard(ctx.db.knex, { boardName: '无分类版块' })).boardId
    const res = await postForm(agent, `/admin/boards/${boardId}`, boardFields({ name: '求助专区', parent_id: String((await board(boardId)).parent_id), thread_types: '[求助]\n分享，  闲聊 ' }))
    expect(res.status).toBe(303)
    expect(JSON.parse((await board(boardId)).thread_types ?? '[]')).toEqual(['求助', '分享', '闲聊'])
    const edit = await agent.get(`/admin/boards/${boardId}/edit`).expect(200)
    expect(edit.text).toContain('求助\n分享\n闲聊</textarea>')

    const poster = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const form = await poster.get(`/forum/${boardId}/new`).expect(200)
    expect(form.text).toContain('<select id="thread-type" name="type_label">')
    expect(form.text).toContain('<option value="分享">分享</option>')
    expect((await poster.get(`/forum/${plain}/new`).expect(200)).text).not.toContain('name="type_label"')

    ctx.t.clock.advance(60)
    const bad = await poster.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title: '乱填的分类', body: '正文内容。', type_label: '广告' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('请选择本版块提供的主题分类')
    expect(bad.text).toContain('乱填的分类') // what was typed stays in the form
    expect(await ctx.db.knex('threads').where({ title: '乱填的分类' }).first('id')).toBeUndefined()

    ctx.t.clock.advance(60)
    const ok = await poster.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title: '电脑开不了机怎么办', body: '求各位帮忙看看。', type_label: '求助' })
    expect(ok.status).toBe(303)
    const list = await guest().get(`/forum/${boardId}`).expect(200)
    expect(list.text).toContain('<em class="thread-type">[求助]</em> <a href="/thread/')
    const page = await guest().get(String(ok.headers.location)).expect(200)
    expect(page.text).toContain('<em class="thread-type">[求助]</em> 电脑开不了机怎么办</h1>')
    // Without a label the thread is posted as before.
    const none = await postThread(ctx.t, poster, boardId, '不选分类的主题')
    expect((await ctx.db.knex('threads').where({ id: none }).first<{ type_label: string }>('type_label'))?.type_label).toBe('')
  })

  it('reorders siblings and deletes only empty boards and groups', async () => {
    const { groupId, boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '待删版块' })
    const second = await createBoard(ctx.db.knex, { parentId: groupId, name: '第二版块' })
    const order = async (): Promise<number[]> => (await ctx.db.knex('boards').where({ parent_id: groupId }).orderBy([{ column: 'display_order' }, { column: 'id' }]).pluck<number[]>('id')).map(Number)
    expect(await order()).toEqual([boardId, second])
    const displayOrders = async (): Promise<Record<string, number>> => Object.fromEntries((await ctx.db.knex('boards').where({ parent_id: groupId }).select<Array<{ id: number, display_order: number }>>('id', 'display_order')).map((r) => [String(r.id), Number(r.display_order)]))
    const ordersBefore = await displayOrders()
    expect((await postForm(agent, `/admin/boards/${second}/order`, { dir: 'up' })).status).toBe(303)
    expect(await order()).toEqual([second, boardId])
    // One audit row: the siblings' display orders before and after, by id.
    const [ordered] = await auditLog(ctx.db.knex).list({ action: 'board_order' }, 5)
    expect(ordered).toMatchObject({ actor_id: admin.id, target_type: 'board', target_id: second })
    expect(JSON.parse(ordered?.before_state ?? '{}')).toEqual(ordersBefore)
    expect(JSON.parse(ordered?.after_state ?? '{}')).toEqual(await displayOrders())
    expect(await displayOrders()).not.toEqual(ordersBefore)

    const poster = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const thread = await postThread(ctx.t, poster, boardId, '挡住删除的主题')
    const before = await boards()
    const refused = await postForm(agent, `/admin/boards/${boardId}/delete`)
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('该版块中还有 1 个主题，请先把主题移到其他版块或删除')
    const groupRefused = await postForm(agent, `/admin/boards/${groupId}/delete`)
    expect(groupRefused.text).toContain('该分区或版块下还有版块')
    expect(await boards()).toEqual(before)

    // Emptied (by hand here; on the site through the thread tools' move or delete), then deleted.
    await ctx.db.knex('posts').where({ thread_id: thread }).delete()
    await ctx.db.knex('threads').where({ id: thread }).delete()
    expect((await postForm(agent, `/admin/boards/${boardId}/delete`)).status).toBe(303)
    expect((await postForm(agent, `/admin/boards/${second}/delete`)).status).toBe(303)
    expect((await postForm(agent, `/admin/boards/${groupId}/delete`)).status).toBe(303)
    expect((await boards()).map((b) => b.id)).not.toContain(groupId)
    const [audit] = await auditLog(ctx.db.knex).list({ action: 'board_delete' }, 1)
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ id: groupId, is_group: true })
  })

  it.each(['guest', 'member', 'moderator'] as const)('refuses a %s on every page and form, changing nothing', async (who) => {
    const victim = (await createGroupWithBoard(ctx.db.knex, { boardName: `门禁${who}` })).boardId
    const user = who === 'guest' ? null : who === 'member' ? member : moderator
    const a = user === null ? guest() : await login(guest(), user.username, user.password)
    const status = who === 'guest' ? 401 : 403
    const before = await boards()
    const audits = await auditCount()
    await a.get('/admin/boards').expect(status)
    await a.get(`/admin/boards/${victim}/edit`).expect(status)
    const token = await csrfToken(a, who === 'guest' ? '/login' : '/')
    const posts: Array<[string, Record<string, string>]> = [
      ['/admin/boards', { kind: 'group', name: '闯入者', display_order: '0' }],
      [`/admin/boards/${victim}`, { name: '被改名', parent_id: '', display_order: '0', members_only: '1' }],
      [`/admin/boards/${victim}/order`, { dir: 'up' }],
      [`/admin/boards/${victim}/delete`, {}]
    ]
    for (const [path, fields] of posts) expect([path, (await a.post(path).type('form').send({ _csrf: token, ...fields })).status]).toEqual([path, status])
    expect(await boards()).toEqual(before)
    expect(await auditCount()).toBe(audits)
  })
})
