import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, pageToken, postReply, postThread, staffPost } from '../forum/helpers'
import { reindex } from '../../src/features/search/cli'
import { articleSearchSource } from '../../src/features/portal'
import { forumSearchSources } from '../../src/features/forum'

/** The titles of a results page, in order (tags stripped: highlighting splits them). */
function titles (html: string): string[] {
  return [...html.matchAll(/<li class="search-hit">\s*<h3>([\s\S]*?)<\/h3>/g)].map((m) => (m[1] ?? '').replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim())
}

describe.each(dialects)('搜索 /search on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let member: CreatedUser
  let adminAgent: supertest.Agent
  let memberAgent: supertest.Agent
  let openBoard: number
  let otherBoard: number
  let privateBoard: number
  let categoryId: number
  let groupId: number
  let sub: number

  const guest = (): supertest.Agent => ctx.t.agent().set('User-Agent', BROWSER)
  const search = async (agent: supertest.Agent, query: Record<string, string>, status = 200): Promise<supertest.Response> => {
    return await agent.get('/search').query(query).expect(status)
  }

  beforeAll(async () => {
    // The rate limit has its own test (a fresh app); here every visitor may search freely.
    await ctx.t.app.settings.set('search_per_minute', '1000')
    admin = await createUser(ctx.db.knex, { username: '站长老周', role: 'admin' })
    member = await createUser(ctx.db.knex, { username: '业主阿梅' })
    adminAgent = await login(guest(), admin.username, admin.password)
    memberAgent = await login(guest(), member.username, member.password)
    const group = await createGroupWithBoard(ctx.db.knex, { boardName: '街坊闲聊' })
    openBoard = group.boardId
    groupId = group.groupId
    otherBoard = await createBoard(ctx.db.knex, { parentId: group.groupId, name: '二手市场' })
    privateBoard = await createBoard(ctx.db.knex, { parentId: group.groupId, name: '业主之家', guestVisible: false })
    categoryId = await createCategory(ctx.db.knex, { name: '本地新闻' })
    // Made before the first page: the portal keeps its category tree (the test clock never expires it).
    sub = await createCategory(ctx.db.knex, { name: '街道动态', parentId: categoryId })
  })

  it('finds a two-character word inside a longer Chinese run, in a thread posted through the form, with the word highlighted', async () => {
    await postThread(ctx.t, memberAgent, openBoard, '区里的经济数据', '今年全区完成工业投资额42亿元，同比增长百分之十二。')
    const res = await search(guest(), { q: '投资' })
    expect(res.headers['x-robots-tag']).toBe('noindex')
    expect(res.text).toContain('<meta name="robots" content="noindex">')
    expect(titles(res.text)).toEqual(['[主题] 区里的经济数据'])
    expect(res.text).toContain('工业<em class="hit">投资</em>额42亿元')
    expect(res.text).toContain('街坊闲聊')
    // SQLite ranks in a worker thread (off the event loop); MariaDB's query is I/O to the server.
    expect(ctx.t.app.siteSearch.rankingThreads()).toBe(dialect === 'sqlite' ? 1 : 0)
    // The box is in the header of every page, a labelled GET form.
    const home = await guest().get('/forum').expect(200)
    expect(home.text).toMatch(/<form class="search-box" method="get" action="\/search" role="search">/)
    expect(home.text).toContain('<label for="search-q"')
  })

  it('matches mixed Chinese, English and digits, and full-width forms as half-width', async () => {
    await postThread(ctx.t, memberAgent, openBoard, '换机心得', '入手了 iPhone15 Pro，5G 信号比旧机好，256GB 够用。')
    expect(titles((await search(guest(), { q: 'iphone15' })).text)).toEqual(['[主题] 换机心得'])
    expect(titles((await search(guest(), { q: 'ｉＰｈｏｎｅ１５' })).text)).toEqual(['[主题] 换机心得'])
    expect(titles((await search(guest(), { q: '5g 信号' })).text)).toEqual(['[主题] 换机心得'])
    expect(titles((await search(guest(), { q: '２５６ＧＢ' })).text)).toEqual(['[主题] 换机心得'])
    // Traditional characters are searched as typed (documented): 信號 is not 信号.
    expect(titles((await search(guest(), { q: '信號' })).text)).toEqual([])
  })

  it('takes quotes and operators literally: no syntax error, the words around them still match', async () => {
    for (const q of ['"投资', '投资*', '-投资', '+投资', '(投资', '投资)', 'AND OR NOT', '"', '*', 'NEAR(投资 增长)', "投资' OR 1=1 --", '\\']) {
      const res = await guest().get('/search').query({ q })
      expect([200, 400]).toContain(res.status)
      if (res.status === 400) expect(res.text).toContain('关键词里没有可搜索的文字或数字')
    }
    expect(titles((await search(guest(), { q: '"投资" +增长 -(' })).text)).toEqual(['[主题] 区里的经济数据'])
    await search(guest(), { q: '*"-+(' }, 400)
  })

  it('escapes user HTML in titles and snippets (highlighting adds only <em>)', async () => {
    await postThread(ctx.t, memberAgent, openBoard, '<img src=x onerror=alert(1)>标题注入', '正文<script>alert("xss")</script>注入测试，<b>粗体</b>')
    const res = await search(guest(), { q: '注入' })
    expect(res.text).not.toMatch(/<script>alert|<img src=x|<b>粗体/)
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;标题<em class="hit">注入</em>')
    expect(res.text).toContain('<em class="hit">注入</em>测试')
  })

  it('shows members-only boards to members only, and follows a thread moved there (and its replies) in the same transaction', async () => {
    const secret = await postThread(ctx.t, memberAgent, privateBoard, '内部通知：充电桩方案', '地下车库充电桩的安装方案。')
    expect(titles((await search(guest(), { q: '充电桩' })).text)).toEqual([])
    expect(titles((await search(memberAgent, { q: '充电桩' })).text)).toEqual(['[主题] 内部通知：充电桩方案'])
    const open = await postThread(ctx.t, memberAgent, openBoard, '小区停车位', '停车位的租金又涨了。')
    await postReply(ctx.t, memberAgent, open, '停车位租金应该公示。')
    expect(titles((await search(guest(), { q: '停车位' })).text).sort()).toEqual(['[主题] 小区停车位', '[回复] 回复：小区停车位'].sort())
    const moved = await staffPost(adminAgent, `/thread/${open}/move`, { board_id: String(privateBoard), reason: '' })
    expect(moved.status).toBe(303)
    expect(titles((await search(guest(), { q: '停车位' })).text)).toEqual([])
    expect(titles((await search(memberAgent, { q: '停车位' })).text)).toHaveLength(2)
    // The board opens to guests: its threads and replies are found by guests at once.
    const opened = await ctx.t.app.forum.boardsAdmin.update(privateBoard, { name: '业主之家', description: '', parentId: groupId, displayOrder: 0, guestVisible: true, threadTypes: [] }, async () => {})
    expect(opened.ok).toBe(true)
    expect(titles((await search(guest(), { q: '停车位' })).text)).toHaveLength(2)
    expect(titles((await search(guest(), { q: '充电桩' })).text)).toHaveLength(1)
    expect(secret).toBeGreaterThan(0)
  })

  it('drops a board made members-only at /admin/boards from guests\' results at once; members still find its threads and replies', async () => {
    const board = await createBoard(ctx.db.knex, { parentId: groupId, name: '楼宇议事' })
    const thread = await postThread(ctx.t, memberAgent, board, '电梯更换的议程', '三号楼电梯更换的表决安排。')
    await postReply(ctx.t, memberAgent, thread, '电梯更换要先公示报价。')
    expect(titles((await search(guest(), { q: '电梯更换' })).text)).toHaveLength(2)
    const res = await adminAgent.post(`/admin/boards/${board}`).type('form').send({
      _csrf: await csrfToken(adminAgent, '/'), name: '楼宇议事', description: '', parent_id: String(groupId), display_order: '0', members_only: '1'
    })
    expect(res.status).toBe(303)
    expect(titles((await search(guest(), { q: '电梯更换' })).text)).toEqual([])
    expect(titles((await search(memberAgent, { q: '电梯更换' })).text).sort()).toEqual(['[主题] 电梯更换的议程', '[回复] 回复：电梯更换的议程'].sort())
  })

  it('keeps the index consistent after an edit, a reply deletion and a thread deletion', async () => {
    const tid = await postThread(ctx.t, memberAgent, otherBoard, '出售婴儿车', '九成新婴儿车，自提。')
    await postReply(ctx.t, memberAgent, tid, '婴儿车还在吗？想要。')
    expect(titles((await search(guest(), { q: '婴儿车' })).text)).toHaveLength(2)
    // Edit the 楼主 post: the old words are gone, the new ones found.
    const first = await ctx.db.knex('posts').where({ thread_id: tid, position: 1 }).first<{ id: number }>('id')
    const token = await pageToken(memberAgent, `/post/${first?.id}/edit`)
    await memberAgent.post(`/post/${first?.id}/edit`).type('form').send({ _csrf: token, title: '出售儿童滑板车', body: '九成新滑板车，自提。' }).expect(303)
    expect(titles((await search(guest(), { q: '滑板车' })).text)).toEqual(['[主题] 出售儿童滑板车'])
    expect(titles((await search(guest(), { q: '婴儿车' })).text)).toEqual(['[回复] 回复：出售儿童滑板车'])
    // Delete the reply (staff), then the thread.
    const reply = await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number }>('id')
    expect((await staffPost(adminAgent, `/post/${reply?.id}/delete`, { reason: '' })).status).toBe(303)
    expect(titles((await search(guest(), { q: '婴儿车' })).text)).toEqual([])
    expect((await staffPost(adminAgent, `/thread/${tid}/delete`, { reason: '' })).status).toBe(303)
    expect(titles((await search(guest(), { q: '滑板车' })).text)).toEqual([])
    expect(await ctx.db.knex('search_documents').where({ kind: 'thread', ref_id: tid }).first()).toBeUndefined()
  })

  it('never shows pending content, and shows it once approved', async () => {
    // A member's first posts with a link wait for review (anti-abuse), so the thread is pending.
    const newcomer = await createUser(ctx.db.knex, { username: '新来的', createdAt: ctx.t.clock.now() - 86400 * 2 })
    const agent = await login(guest(), newcomer.username, newcomer.password)
    const tid = await postThread(ctx.t, agent, openBoard, '团购榴莲', '榴莲团购链接 https://example.com/durian')
    expect((await ctx.db.knex('threads').where({ id: tid }).first<{ status: string }>('status'))?.status).toBe('pending')
    expect(titles((await search(adminAgent, { q: '榴莲' })).text)).toEqual([])
    const first = await ctx.db.knex('posts').where({ thread_id: tid, position: 1 }).first<{ id: number }>('id')
    expect((await staffPost(adminAgent, `/post/${first?.id}/approve`, { reason: '' })).status).toBe(303)
    expect(titles((await search(guest(), { q: '榴莲' })).text)).toEqual(['[主题] 团购榴莲'])
  })

  it('finds published articles only: hidden and scheduled ones stay out; a category filter includes sub-categories', async () => {
    const now = ctx.t.clock.now()
    const shown = await createArticle(ctx.db.knex, { categoryId: sub, authorId: admin.id, title: '海滨公园改造完工', body: '海滨公园的改造工程今天完工，新增步道三公里。', publishedAt: now - 100 })
    await createArticle(ctx.db.knex, { categoryId: sub, authorId: admin.id, title: '海滨公园草稿', body: '海滨公园草稿内容。', status: 'draft', publishedAt: now - 100 })
    await createArticle(ctx.db.knex, { categoryId: sub, authorId: admin.id, title: '海滨公园明日开放', body: '海滨公园明天开放。', publishedAt: now + 86400 })
    // Articles written straight to the table are found after search:reindex (the CLI's function).
    await reindexAll()
    expect(titles((await search(guest(), { q: '海滨公园' })).text)).toEqual(['[文章] 海滨公园改造完工'])
    expect(titles((await search(guest(), { q: '海滨公园', scope: `c${categoryId}` })).text)).toEqual(['[文章] 海滨公园改造完工'])
    expect(titles((await search(guest(), { q: '海滨公园', scope: `b${openBoard}` })).text)).toEqual([])
    // Hidden through 文章管理: out of the index in the same transaction; published again: back.
    const manage = async (op: string): Promise<void> => {
      const token = await pageToken(adminAgent, '/portal/manage')
      await adminAgent.post('/portal/manage').type('form').send({ _csrf: token, ids: String(shown), op }).expect(303)
    }
    await manage('hide')
    expect(titles((await search(guest(), { q: '海滨公园' })).text)).toEqual([])
    await manage('publish')
    expect(titles((await search(guest(), { q: '海滨公园' })).text)).toEqual(['[文章] 海滨公园改造完工'])
  })

  it('filters by type, author and time range; type=user finds members by name prefix', async () => {
    expect(titles((await search(guest(), { q: '停车位', type: 'post' })).text)).toEqual(['[回复] 回复：小区停车位'])
    expect(titles((await search(guest(), { q: '停车位', type: 'thread' })).text)).toEqual(['[主题] 小区停车位'])
    expect(titles((await search(guest(), { q: '停车位', type: 'article' })).text)).toEqual([])
    expect(titles((await search(guest(), { q: '停车位', author: '业主阿梅' })).text)).toHaveLength(2)
    expect(titles((await search(guest(), { q: '停车位', author: '站长老周' })).text)).toHaveLength(0)
    expect((await search(guest(), { q: '停车位', author: '没有这个人' }, 400)).text).toContain('没有找到这个作者')
    // The posts were made with the test clock moved forward; a day back from now still holds the last ones.
    const nowMs = ctx.t.clock.nowMs()
    ctx.t.clock.set(nowMs + 400 * 86400 * 1000)
    expect(titles((await search(guest(), { q: '停车位', time: 'year' })).text)).toEqual([])
    ctx.t.clock.set(nowMs)
    expect(titles((await search(guest(), { q: '停车位', time: 'year' })).text)).toHaveLength(2)
    const users = await search(guest(), { q: '业主', type: 'user' })
    expect(users.text).toContain(`<a href="/user/${member.id}">业主阿梅</a>`)
    expect(users.text).not.toContain('站长老周')
    expect((await search(guest(), { q: '停车位', type: 'everything' }, 400)).text).toContain('搜索类型只能是')
    expect((await search(guest(), { q: '停车位', time: 'decade' }, 400)).text).toContain('时间范围只能是')
    expect((await search(guest(), { q: '停车位', scope: `b${99999}` }, 400)).text).toContain('版块或分类编号有误')
    expect((await search(guest(), { q: '字'.repeat(41) }, 400)).text).toContain('关键词最多 40 个字')
  })

  it('paginates ranked results: 10 a page, every result once, title matches first', async () => {
    const board = await createBoard(ctx.db.knex, { parentId: groupId, name: '分页测试' })
    await postThread(ctx.t, memberAgent, board, '荔枝节', '今年的荔枝节在六月。')
    for (let i = 0; i < 14; i++) await postReply(ctx.t, memberAgent, await firstThreadOf(board), `第${i + 1}条：荔枝很甜。`)
    const p1 = await search(guest(), { q: '荔枝' })
    expect(p1.text).toContain('找到 15 条结果')
    const t1 = titles(p1.text)
    expect(t1).toHaveLength(10)
    expect(t1[0]).toBe('[主题] 荔枝节')
    expect(p1.text).toContain('page=2')
    const t2 = titles((await search(guest(), { q: '荔枝', page: '2' })).text)
    expect(t2).toHaveLength(5)
    const snippets = async (page: string): Promise<string[]> => [...(await search(guest(), { q: '荔枝', page })).text.matchAll(/<p class="search-snippet">([\s\S]*?)<\/p>/g)].map((m) => m[1] ?? '')
    const all = [...await snippets('1'), ...await snippets('2')]
    expect(new Set(all).size).toBe(15)
    // A page past the end shows the last page.
    expect(titles((await search(guest(), { q: '荔枝', page: '99' })).text)).toHaveLength(5)
  })

  it('answers search.php with a 301 to /search', async () => {
    const res = await guest().get('/search.php').query({ mod: 'forum', srchtxt: '投资' }).expect(301)
    expect(res.headers.location).toBe('/search?q=%E6%8A%95%E8%B5%84&type=thread')
    expect((await guest().get('/search.php').query({ mod: 'portal', srchtxt: 'a' }).expect(301)).headers.location).toBe('/search?q=a&type=article')
  })

  it('limits searches per visitor per minute (a setting), with a Chinese message', async () => {
    await ctx.t.app.settings.set('search_per_minute', '10')
    const fresh = await ctx.secondApp()
    try {
      for (let i = 0; i < 10; i++) await fresh.agent().get('/search').query({ q: `投资${i}` }).expect(200)
      const refused = await fresh.agent().get('/search').query({ q: '投资' }).expect(429)
      expect(refused.text).toContain('搜索太频繁了，请一分钟后再试')
    } finally {
      await fresh.close()
      await ctx.t.app.settings.set('search_per_minute', '1000')
    }
  })

  async function firstThreadOf (board: number): Promise<number> {
    const row = await ctx.db.knex('threads').where({ board_id: board }).orderBy('id').first<{ id: number }>('id')
    return Number(row?.id)
  }

  async function reindexAll (): Promise<void> {
    await reindex(ctx.db.knex, [articleSearchSource(), ...forumSearchSources()], 7, () => {})
  }
})
