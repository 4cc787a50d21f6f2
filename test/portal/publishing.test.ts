import type supertest from 'supertest'
import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { can, ROLES, type AuthUser, type Role } from '../../src/lib/permissions'
import { formatSiteDateTime, parseSiteDateTime, summaryFromBody } from '../../src/lib/article-form'

const TZ = 'Asia/Shanghai'

describe('can(): the publishing role × action matrix', () => {
  const user = (role: Role, id = 7): AuthUser => ({ id, username: 'u', role, createdAt: 0, postCount: 0, banType: null, banUntil: null, banReason: null })
  const cat = 10
  const other = 20
  const article = { authorId: 99, categoryId: cat, status: 'pending' }
  // Who: guest, member, editor of this category, editor of another, moderator (no grant), moderator granted this category, admin.
  const cases: Array<[string, AuthUser | null, Set<number>, { write: boolean, publish: boolean, edit: boolean }]> = [
    ['guest', null, new Set(), { write: false, publish: false, edit: false }],
    ['member', user('member'), new Set(), { write: false, publish: false, edit: false }],
    ['member with a stray grant', user('member'), new Set([cat]), { write: false, publish: false, edit: false }],
    ['editor of this category', user('editor'), new Set([cat]), { write: true, publish: true, edit: true }],
    ['editor of another category', user('editor'), new Set([other]), { write: true, publish: false, edit: false }],
    ['moderator', user('moderator'), new Set(), { write: false, publish: false, edit: false }],
    ['moderator granted this category', user('moderator'), new Set([cat]), { write: true, publish: true, edit: true }],
    ['admin', user('admin'), new Set(), { write: true, publish: true, edit: true }]
  ]
  it.each(cases)('%s', (_name, u, grants, expected) => {
    expect({
      write: can(u, { action: 'write-articles', grants }, 1000),
      publish: can(u, { action: 'publish', categoryId: cat, grants }, 1000),
      edit: can(u, { action: 'edit-article', article, grants }, 1000)
    }).toEqual(expected)
  })

  it('authors keep their own drafts and pending pieces while they are editors; a ban stops everything', () => {
    const editor = user('editor', 5)
    const own = { authorId: 5, categoryId: other, status: 'draft' }
    expect(can(editor, { action: 'edit-article', article: own, grants: new Set([cat]) }, 1000)).toBe(true)
    expect(can(editor, { action: 'edit-article', article: { ...own, status: 'published' }, grants: new Set([cat]) }, 1000)).toBe(false)
    expect(can(user('member', 5), { action: 'edit-article', article: own, grants: new Set() }, 1000)).toBe(false)
    const banned = { ...user('admin'), banType: 'post' as const, banUntil: 2000, banReason: '灌水' }
    expect(can(banned, { action: 'publish', categoryId: cat, grants: new Set() }, 1000)).toBe(false)
    expect(can(banned, { action: 'write-articles', grants: new Set() }, 1000)).toBe(false)
    expect(ROLES).toEqual(['admin', 'moderator', 'editor', 'member'])
  })

  it('reads publish times in the site zone and generates the 摘要 from the body text', () => {
    const at = parseSiteDateTime('2026-12-01T08:30', TZ)
    expect(at).toBe(Date.UTC(2026, 11, 1, 0, 30) / 1000)
    expect(formatSiteDateTime(at ?? 0, TZ)).toBe('2026-12-01T08:30')
    expect(parseSiteDateTime('2026-02-30T08:30', TZ)).toBeNull()
    expect(summaryFromBody('**海风**吹过\n\n' + '长'.repeat(200))).toMatch(/^海风吹过 长+…$/)
    expect([...summaryFromBody('长'.repeat(200))].length).toBe(151)
  })
})

describe.each(dialects)('发布文章 over HTTP on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let news: number
  let sport: number
  let admin: CreatedUser
  let editor: CreatedUser
  let sportEditor: CreatedUser
  let member: CreatedUser
  let moderator: CreatedUser

  beforeAll(async () => {
    const k = ctx.db.knex
    news = await createCategory(k, { name: '新闻' })
    sport = await createCategory(k, { name: '体育' })
    admin = await createUser(k, { username: 'boss', role: 'admin' })
    editor = await createUser(k, { username: 'xiaobian', role: 'editor' })
    sportEditor = await createUser(k, { username: 'tiyu', role: 'editor' })
    member = await createUser(k, { username: 'jiefang' })
    moderator = await createUser(k, { username: 'banzhu', role: 'moderator' })
    const now = Math.floor(Date.now() / 1000)
    await k('category_editors').insert([{ user_id: editor.id, category_id: news, created_at: now }, { user_id: sportEditor.id, category_id: sport, created_at: now }])
  })

  const as = async (u: CreatedUser): Promise<supertest.Agent> => await login(ctx.t.agent(), u.username, u.password)

  /** Posts the write form (new or edit) with the page's token; the fields as a browser sends them. */
  async function postForm (agent: supertest.Agent, path: string, fields: Record<string, string>): Promise<supertest.Response> {
    const page = await agent.get(path)
    const token = csrfFrom(page.text)
    const version = /name="version" value="(\d+)"/.exec(page.text)?.[1]
    return await agent.post(path).type('form').send({ _csrf: token, ...(version === undefined ? {} : { version }), allow_comments: '1', ...fields })
  }

  const idFrom = (res: supertest.Response): number => Number(/\/portal\/write\/(\d+)/.exec(res.headers.location ?? '')?.[1])

  it('opens the write page to editors and admins only: 401 for guests, 403 with a message for members and ungranted moderators', async () => {
    const guest = await ctx.t.agent().get('/portal/write')
    expect(guest.status).toBe(401)
    for (const u of [member, moderator]) {
      const res = await (await as(u)).get('/portal/write')
      expect(res.status).toBe(403)
      expect(res.text).toContain('您没有发布文章的权限')
    }
    const ed = await (await as(editor)).get('/portal/write').expect(200)
    expect(ed.text).toContain(`<option value="${news}"`)
    expect(ed.text).not.toContain(`<option value="${sport}"`)
    const boss = await (await as(admin)).get('/portal/write').expect(200)
    expect(boss.text).toContain(`<option value="${sport}"`)
    expect(boss.text).toContain('href="/uploads/new" target="_blank"')
  })

  it('refuses a category the editor has no right in, and shows a message per field with the typed values kept', async () => {
    const agent = await as(sportEditor)
    const res = await postForm(agent, '/portal/write', { title: '', catid: String(news), body: '', source_url: 'javascript:alert(1)', status: 'published', publish_at: '2026-13-01T00:00', original_author: '某某' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('请填写标题')
    expect(res.text).toContain('您没有在此分类发布文章的权限')
    expect(res.text).toContain('请填写正文')
    expect(res.text).toContain('来源网址须以 http:// 或 https:// 开头')
    expect(res.text).toContain('发布时间格式应为')
    expect(res.text).toContain('value="某某"')
    const long = await postForm(agent, '/portal/write', { title: '长'.repeat(81), catid: String(sport), body: '>'.repeat(30) + ' 深', status: 'published' })
    expect(long.status).toBe(400)
    expect(long.text).toContain('标题不能超过 80 个字符')
    expect(long.text).toMatch(/引用|嵌套|层/)
    expect(await countRows(ctx.db.knex, 'articles')).toBe(0)
  })

  it('previews without JavaScript (the form again, the render above it) and through /portal/preview', async () => {
    const agent = await as(editor)
    const res = await postForm(agent, '/portal/write', { title: '预览稿', catid: String(news), body: '**粗体**段落', status: 'draft', preview: '1' })
    expect(res.status).toBe(200)
    expect(res.text).toContain('<strong>粗体</strong>')
    expect(res.text).toContain('>**粗体**段落</textarea>')
    const page = await agent.get('/portal/write')
    const live = await agent.post('/portal/preview').type('form').send({ _csrf: csrfFrom(page.text), body: '<script>x</script>\n\n*斜体*' }).expect(200)
    expect(live.body.html).toContain('<em>斜体</em>')
    expect(live.body.html).not.toContain('<script')
    const guest = ctx.t.agent()
    const token = csrfFrom((await guest.get('/login')).text)
    await guest.post('/portal/preview').type('form').send({ _csrf: token, body: 'x' }).expect(401)
  })

  it('takes an article through draft → pending → scheduled → published → hidden, as the home, category, article page, Archiver and sitemap show it', async () => {
    const agent = await as(editor)
    const created = await postForm(agent, '/portal/write', { title: '海滨文化节开幕', catid: String(news), body: '第一段正文内容。\n\n<!-- 分页 -->\n\n第二页。', status: 'draft', source_name: '濠江日报', source_url: 'https://example.com/a' })
    expect(created.status).toBe(303)
    const id = idFrom(created)
    const row = await ctx.db.knex('articles').where({ id }).first()
    expect(row.summary).toBe('第一段正文内容。 第二页。')
    expect(row.body).toContain('<!-- 分页 -->')
    const guest = ctx.t.agent()
    const visibleEverywhere = async (): Promise<boolean[]> => [
      (await guest.get('/')).text.includes('海滨文化节开幕'),
      (await guest.get(`/category/${news}`)).text.includes('海滨文化节开幕'),
      (await guest.get(`/article/${id}`)).status === 200,
      (await guest.get(`/archiver/aid-${id}.html`)).status === 200,
      (await guest.get(`/archiver/cid-${news}.html`)).text.includes('海滨文化节开幕'),
      (await guest.get('/sitemap.xml')).text.includes(`/article/${id}<`)
    ]
    const none = [false, false, false, false, false, false]
    const all = [true, true, true, true, true, true]
    expect(await visibleEverywhere()).toEqual(none)
    // The author sees the draft in the editor; another editor's category does not show it.
    await agent.get(`/portal/write/${id}`).expect(200)
    await (await as(sportEditor)).get(`/portal/write/${id}`).expect(404)

    await postForm(agent, `/portal/write/${id}`, { title: '海滨文化节开幕', catid: String(news), body: row.body, status: 'pending' }).then((r) => expect(r.status).toBe(303))
    expect(await visibleEverywhere()).toEqual(none)
    // Scheduled: published, two hours from now (site time).
    const at = ctx.t.clock.now() + 7200
    const scheduled = await postForm(agent, `/portal/write/${id}`, { title: '海滨文化节开幕', catid: String(news), body: row.body, status: 'published', publish_at: formatSiteDateTime(at, TZ) })
    expect(scheduled.status).toBe(303)
    expect((await agent.get(scheduled.headers.location ?? '')).text).toContain('将于发布时间自动发布')
    expect(await visibleEverywhere()).toEqual(none)
    ctx.t.clock.advance(7200 - 61)
    expect(await visibleEverywhere()).toEqual(none)
    ctx.t.clock.advance(61)
    expect(await visibleEverywhere()).toEqual(all)
    // Hidden (the soft delete) through 文章管理.
    const manage = await agent.get('/portal/manage')
    const hide = await agent.post('/portal/manage').type('form').send({ _csrf: csrfFrom(manage.text), ids: String(id), op: 'hide', back: '/portal/manage' })
    expect(hide.status).toBe(303)
    expect(hide.headers.location).toBe('/portal/manage?done=1')
    expect(await visibleEverywhere()).toEqual(none)
    expect((await ctx.db.knex('moderation_log').where({ target_type: 'article', target_id: id, action: 'article_status' }).select('actor_id', 'after_state')).map((r) => [Number(r.actor_id), JSON.parse(r.after_state).status])).toContainEqual([editor.id, 'hidden'])
  })

  it('detects a concurrent edit: the second save over the same version is refused with the other\'s changes, the typed text kept', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId: news, authorId: editor.id, title: '原标题', body: '第一行\n第二行\n' })
    const a = await as(editor)
    const b = await as(admin)
    const pageA = await a.get(`/portal/write/${id}`)
    const pageB = await b.get(`/portal/write/${id}`)
    const base = { catid: String(news), status: 'published', allow_comments: '1' }
    const saveA = a.post(`/portal/write/${id}`).type('form').send({ _csrf: csrfFrom(pageA.text), version: '1', title: 'A 的标题', body: '第一行\nA 改的第二行\n', ...base })
    const saveB = b.post(`/portal/write/${id}`).type('form').send({ _csrf: csrfFrom(pageB.text), version: '1', title: 'B 的标题', body: 'B 的全文\n', ...base })
    const [ra, rb] = await Promise.all([saveA, saveB])
    expect([ra.status, rb.status].sort()).toEqual([303, 409])
    const loser = ra.status === 409 ? ra : rb
    const winnerTitle = ra.status === 409 ? 'B 的标题' : 'A 的标题'
    expect(loser.text).toContain('此文章已被他人修改')
    expect(loser.text).toContain(`<ins>${winnerTitle}`)
    expect(loser.text).toContain('<del>原标题')
    // The loser's typed text is still in the form, now carrying version 2.
    expect(loser.text).toContain(ra.status === 409 ? '>第一行\nA 改的第二行\n</textarea>' : '>B 的全文\n</textarea>')
    expect(loser.text).toContain('name="version" value="2"')
    const row = await ctx.db.knex('articles').where({ id }).first('title', 'version')
    expect([row.title, Number(row.version)]).toEqual([winnerTitle, 2])
    expect(await countRows(ctx.db.knex, 'article_revisions', { article_id: id })).toBe(1)
  })

  it('keeps each replaced version, shows a diff against the current one, and restores a version as a new one', async () => {
    const agent = await as(editor)
    const created = await postForm(agent, '/portal/write', { title: '修订一', catid: String(news), body: '春天<b>来了</b>\n', status: 'published' })
    const id = idFrom(created)
    await postForm(agent, `/portal/write/${id}`, { title: '修订二', catid: String(news), body: '夏天来了\n', status: 'published' }).then((r) => expect(r.status).toBe(303))
    const list = await agent.get(`/portal/write/${id}/revisions`).expect(200)
    expect(list.text).toContain('修订一')
    expect(list.text).toContain('xiaobian')
    const diff = await agent.get(`/portal/write/${id}/revisions/1`).expect(200)
    expect(diff.text).toContain('<del>春天&lt;b&gt;来了&lt;/b&gt;')
    expect(diff.text).toContain('<ins>夏天来了')
    const restore = await agent.post(`/portal/write/${id}/revisions/1/restore`).type('form').send({ _csrf: csrfFrom(diff.text), version: '2' })
    expect(restore.status).toBe(303)
    const row = await ctx.db.knex('articles').where({ id }).first('title', 'body', 'version')
    expect([row.title, row.body, Number(row.version)]).toEqual(['修订一', '春天<b>来了</b>\n', 3])
    expect((await ctx.db.knex('article_revisions').where({ article_id: id }).orderBy('version').select('version', 'title')).map((r) => [Number(r.version), r.title])).toEqual([[1, '修订一'], [2, '修订二']])
    // A stale restore (opened at version 2) is refused, not applied.
    const stale = await agent.post(`/portal/write/${id}/revisions/2/restore`).type('form').send({ _csrf: csrfFrom(diff.text), version: '2' })
    expect(stale.status).toBe(409)
    expect(stale.text).toContain('此文章已被他人修改')
    await (await as(sportEditor)).get(`/portal/write/${id}/revisions/1`).expect(403)
  })

  it('lists 文章管理 with filters and keyset pages, and bulk-moves and publishes in one audited transaction', async () => {
    const k = ctx.db.knex
    const ids: number[] = []
    for (let i = 0; i < 23; i++) ids.push(await createArticle(k, { categoryId: news, authorId: editor.id, title: `批量稿${i + 1}`, status: i % 2 === 0 ? 'draft' : 'pending' }))
    const sportOnly = await createArticle(k, { categoryId: sport, authorId: sportEditor.id, title: '体育专稿', status: 'draft' })
    const agent = await as(editor)
    const first = await agent.get('/portal/manage?q=批量稿').expect(200)
    expect((first.text.match(/name="ids"/g) ?? []).length).toBe(20)
    expect(first.text).not.toContain('体育专稿')
    const next = /href="(\/portal\/manage\?q=[^"]+&amp;before=\d+)"/.exec(first.text)?.[1]?.replace(/&amp;/g, '&')
    expect(next).toBeDefined()
    const second = await agent.get(next ?? '').expect(200)
    expect((second.text.match(/name="ids"/g) ?? []).length).toBe(3)
    expect(second.text).toContain('>批量稿1<')
    const pending = await agent.get(`/portal/manage?status=pending&catid=${news}&author=XIAOBIAN&q=${encodeURIComponent('批量')}`).expect(200)
    expect((pending.text.match(/name="ids"/g) ?? []).length).toBe(11)
    // Another category's article in the selection: nothing changes.
    const denied = await agent.post('/portal/manage').type('form').send({ _csrf: csrfFrom(first.text), ids: [String(ids[0]), String(sportOnly)], op: 'publish' })
    expect(denied.status).toBe(403)
    expect((await k('articles').where({ id: ids[0] }).first('status')).status).toBe('draft')
    // The admin moves three to 体育 and publishes two, each one transaction with its audit rows.
    const boss = await as(admin)
    const bossPage = await boss.get('/portal/manage')
    const picked = ids.slice(0, 3).map(String)
    await boss.post('/portal/manage').type('form').send({ _csrf: csrfFrom(bossPage.text), ids: picked, op: 'move', target: String(sport) }).expect(303)
    expect((await k('articles').whereIn('id', ids.slice(0, 3)).select('category_id')).map((r) => Number(r.category_id))).toEqual([sport, sport, sport])
    await boss.post('/portal/manage').type('form').send({ _csrf: csrfFrom(bossPage.text), ids: picked.slice(0, 2), op: 'publish' }).expect(303)
    expect((await k('articles').whereIn('id', ids.slice(0, 2)).select('status')).map((r) => r.status)).toEqual(['published', 'published'])
    expect(await countRows(k, 'moderation_log', { action: 'article_move', actor_id: admin.id })).toBe(3)
    // Now in 体育, the news editor no longer manages them (the sports editor does).
    const after = await agent.get('/portal/manage?q=批量稿').expect(200)
    expect(after.text).not.toContain(`value="${ids[0]}"`)
    const tiyu = await (await as(sportEditor)).get('/portal/manage').expect(200)
    expect(tiyu.text).toContain(`value="${ids[0]}"`)
  })

  it('answers Discuz\'s portalcp URLs with 301s', async () => {
    const res = await ctx.t.agent().get('/portal.php?mod=portalcp&ac=article').expect(301)
    expect(res.headers.location).toBe('/portal/write')
    const edit = await ctx.t.agent().get('/portal.php?mod=portalcp&ac=article&aid=12').expect(301)
    expect(edit.headers.location).toBe('/portal/write/12')
  })
})
