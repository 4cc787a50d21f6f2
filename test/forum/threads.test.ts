import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { forumCommands } from '../../src/features/forum/cli'
import { createBoard, createGroupWithBoard } from './factories'
import { BROWSER, pageToken, postReply, postThread, sendReply, staffPost } from './helpers'

interface Counters { thread_count: number, post_count: number, today_posts: number, last_thread_id: number | null }

describe.each(dialects)('forum threads and replies on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let member: CreatedUser
  let other: CreatedUser
  let moderator: CreatedUser

  beforeAll(async () => {
    member = await createUser(ctx.db.knex, { username: '海边阿强' })
    other = await createUser(ctx.db.knex, { username: '渔港小林' })
    moderator = await createUser(ctx.db.knex, { username: '版主老陈', role: 'moderator' })
  })

  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)
  // One logged-in agent per member for the whole file: the login form is rate-limited per IP.
  const agents = new Map<number, ReturnType<typeof browser>>()
  const as = async (u: CreatedUser) => {
    let agent = agents.get(u.id)
    if (agent === undefined) {
      agent = await login(browser(), u.username, u.password)
      agents.set(u.id, agent)
    }
    return agent
  }
  const board = async (id: number): Promise<Counters> => await ctx.db.knex('boards').where({ id }).first<Counters>('thread_count', 'post_count', 'today_posts', 'last_thread_id')
  const thread = async (id: number) => await ctx.db.knex('threads').where({ id }).first<{ reply_count: number, board_id: number, status: string, pinned: number | boolean, closed: number | boolean, last_poster_name: string, last_position: number }>()
  const postCount = async (u: CreatedUser): Promise<number> => Number((await ctx.db.knex('users').where({ id: u.id }).first<{ post_count: number }>('post_count')).post_count)

  it('opens a thread and replies to it through the forms, with floors, counters and the index updated', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '街坊闲聊' })
    const a = await as(member)
    const b = await as(other)
    const before = await postCount(member)
    const tid = await postThread(ctx.t, a, boardId, '周日退潮去赶海', '查了潮汐表，**下午三点**低潮。')

    const location = await postReply(ctx.t, b, tid, '算我一个！')
    const pid = Number((await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number }>('id')).id)
    expect(location).toBe(`/thread/${tid}?page=1#post-${pid}`)

    const page = await browser().get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain('<title>周日退潮去赶海 - 街坊闲聊 - ')
    expect(page.text).toContain('<strong>下午三点</strong>')
    expect(page.text).toMatch(/<strong>楼主<\/strong>[\s\S]*<strong>2楼<\/strong>/)
    expect(page.text).toContain(`id="post-${pid}"`)
    expect(page.text).toContain('算我一个！')
    expect(page.text).toContain(`<a href="/user/${member.id}">海边阿强</a>`)
    expect(page.text).toContain('<dd>注册会员</dd>')

    expect(await postCount(member)).toBe(before + 1)
    expect(await board(boardId)).toMatchObject({ thread_count: 1, post_count: 2, today_posts: 2, last_thread_id: tid })
    expect(await thread(tid)).toMatchObject({ reply_count: 1, last_poster_name: '渔港小林', last_position: 2 })

    const index = await browser().get('/forum').expect(200)
    expect(index.text).toContain(`<a href="/forum/${boardId}">街坊闲聊</a>`)
    expect(index.text).toContain('周日退潮去赶海')
    expect(index.text).toContain('渔港小林')
    expect(index.text).toMatch(/title="今日">\(2\)</)

    const list = await browser().get(`/forum/${boardId}`).expect(200)
    expect(list.text).toContain(`<a href="/thread/${tid}" class="thread-title">周日退潮去赶海</a>`)
    expect(list.text).toContain('发帖')
  })

  it('re-renders the form with a preview and changes nothing; bad titles and bodies get a message', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const form = await a.get(`/forum/${boardId}/new`).expect(200)
    const token = csrfFrom(form.text)
    const preview = await a.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '预览标题', body: '# 大标题\n\n*斜体*<script>alert(1)</script>', preview: '1' }).expect(200)
    expect(preview.text).toContain('<em>斜体</em>')
    expect(preview.text).not.toContain('<script>alert(1)')
    expect(preview.text).toContain('value="预览标题"')
    const empty = await a.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '  ', body: '内容' }).expect(400)
    expect(empty.text).toContain('抱歉，您尚未输入标题')
    const long = await a.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '长'.repeat(81), body: '内容' }).expect(400)
    expect(long.text).toContain('超过 80 个字符')
    await a.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '标题', body: ' ' }).expect(400)
    // 80 characters of CJK (240 bytes) is fine.
    await postThread(ctx.t, a, boardId, '长'.repeat(80))
    expect(await ctx.db.knex('threads').where({ board_id: boardId }).count<Array<{ n: number }>>({ n: '*' })).toEqual([{ n: 1 }])
  })

  it('pages a thread 10 floors a page by position, with page=last and replies landing on the last page', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const b = await as(other)
    const tid = await postThread(ctx.t, a, boardId, '长帖')
    let last = ''
    for (let i = 2; i <= 23; i++) last = await postReply(ctx.t, i % 2 === 0 ? b : a, tid, `第${i}楼的内容`)
    expect(last).toMatch(new RegExp(`^/thread/${tid}\\?page=3#post-\\d+$`))

    const p2 = await browser().get(`/thread/${tid}?page=2`).expect(200)
    expect((p2.text.match(/<table class="post"/g) ?? []).length).toBe(10)
    expect(p2.text).toContain('<strong>11楼</strong>')
    expect(p2.text).toContain('<strong>20楼</strong>')
    expect(p2.text).not.toContain('<strong>21楼</strong>')
    const lastPage = await browser().get(`/thread/${tid}?page=last`).expect(200)
    expect((lastPage.text.match(/<table class="post"/g) ?? []).length).toBe(3)
    expect(lastPage.text).toContain('第23楼的内容')
    expect(lastPage.text).toContain('<strong aria-current="page">3</strong>') // current page in the pager
    const beyond = await browser().get(`/thread/${tid}?page=99`).expect(200)
    expect(beyond.text).toContain('第23楼的内容')
  })

  it('gives simultaneous replies distinct consecutive floors', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const tid = await postThread(ctx.t, a, boardId, '抢楼')
    const repliers = await Promise.all(Array.from({ length: 8 }, async () => await as(await createUser(ctx.db.knex))))
    ctx.t.clock.advance(600)
    const tokens = await Promise.all(repliers.map(async (ag) => await pageToken(ag, '/forum')))
    const results = await Promise.all(repliers.map(async (ag, i) => await ag.post(`/thread/${tid}/reply`).type('form').send({ _csrf: tokens[i], body: `抢到了 ${i}` })))
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(303))
    const positions = await ctx.db.knex('posts').where({ thread_id: tid }).orderBy('position').pluck('position')
    expect(positions.map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(await thread(tid)).toMatchObject({ reply_count: 8, last_position: 9 })
  })

  it('opens simultaneous threads in one board without deadlock, every counter exact', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const openers = await Promise.all(Array.from({ length: 6 }, async () => await as(await createUser(ctx.db.knex))))
    ctx.t.clock.advance(600)
    const forms = await Promise.all(openers.map(async (ag) => csrfFrom((await ag.get(`/forum/${boardId}/new`).expect(200)).text)))
    const results = await Promise.all(openers.map(async (ag, i) => await ag.post(`/forum/${boardId}/new`).type('form').send({ _csrf: forms[i], title: `同时发帖 ${i}`, body: '内容' })))
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(303))
    expect(await board(boardId)).toMatchObject({ thread_count: 6, post_count: 6, today_posts: 6 })
  })

  it('lists a board 20 threads a page, pinned first then by last reply; sub-boards at the top', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex, { boardName: '二手闲置' })
    const sub = await createBoard(ctx.db.knex, { parentId: boardId, name: '数码专区' })
    const a = await as(member)
    const ids: number[] = []
    for (let i = 1; i <= 23; i++) ids.push(await postThread(ctx.t, a, boardId, `闲置第${i}号`))
    const m = await as(moderator)
    await staffPost(m, `/thread/${ids[0] ?? 0}/pin`, { pinned: '1' }).then((r) => expect(r.status).toBe(303))
    await postReply(ctx.t, a, ids[4] ?? 0, '顶一下')

    const p1 = await browser().get(`/forum/${boardId}`).expect(200)
    const titles = [...p1.text.matchAll(/class="thread-title">([^<]+)</g)].map((x) => x[1])
    expect(titles.length).toBe(20)
    expect(titles[0]).toBe('闲置第1号') // pinned
    expect(p1.text).toContain('<span class="tag-pin">置顶</span>')
    expect(titles[1]).toBe('闲置第5号') // latest reply
    expect(titles[2]).toBe('闲置第23号')
    expect(p1.text).toContain(`<a href="/forum/${sub}">数码专区</a>`)
    const p2 = await browser().get(`/forum/${boardId}?page=2`).expect(200)
    expect([...p2.text.matchAll(/class="thread-title">([^<]+)</g)].map((x) => x[1])).toEqual(['闲置第4号', '闲置第3号', '闲置第2号'])
    const log = await ctx.db.knex('moderation_log').where({ action: 'thread_pin', target_id: ids[0] }).first<{ actor_id: number, after_state: string }>()
    expect(log).toMatchObject({ actor_id: moderator.id })
    expect(JSON.parse(log?.after_state ?? '{}')).toEqual({ pinned: true })
  })

  it('prefills the quick reply with a quote of ?quote=<pid>', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const tid = await postThread(ctx.t, a, boardId, '引用测试', '牛肉丸店搬到对面街口了')
    const pid = Number((await ctx.db.knex('posts').where({ thread_id: tid, position: 1 }).first<{ id: number }>('id')).id)
    const page = await a.get(`/thread/${tid}?quote=${pid}`).expect(200)
    expect(page.text).toMatch(/<textarea name="body"[^>]*>&gt; \*\*海边阿强\*\* 发表于 [\d-]+ [\d:]+\n&gt; 牛肉丸店搬到对面街口了\n\n<\/textarea>/)
  })

  it('closes a thread: no more replies from members, 本主题已关闭, audited; reopens', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const tid = await postThread(ctx.t, a, boardId, '将被关闭')
    const m = await as(moderator)
    expect((await staffPost(a, `/thread/${tid}/close`, { closed: '1' })).status).toBe(403)
    expect((await staffPost(m, `/thread/${tid}/close`, { closed: '1' })).status).toBe(303)
    const refused = await sendReply(a, tid, '还能回吗')
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('本主题已关闭')
    const page = await a.get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain('本主题已关闭')
    expect(page.text).not.toContain(`action="/thread/${tid}/reply"`)
    expect(await ctx.db.knex('moderation_log').where({ action: 'thread_close', target_id: tid }).count<Array<{ n: number }>>({ n: '*' })).toEqual([{ n: 1 }])
    await staffPost(m, `/thread/${tid}/close`, { closed: '0' })
    ctx.t.clock.advance(600)
    expect((await sendReply(a, tid, '又能回了')).status).toBe(303)
  })

  it('moves a thread with its counters to another board, audited', async () => {
    const { boardId: from } = await createGroupWithBoard(ctx.db.knex)
    const to = await createBoard(ctx.db.knex, { name: '便民信息' })
    const a = await as(member)
    const tid = await postThread(ctx.t, a, from, '搬家')
    await postReply(ctx.t, a, tid, '回复一')
    const m = await as(moderator)
    expect((await staffPost(m, `/thread/${tid}/move`, { board_id: String(to) })).status).toBe(303)
    expect(await thread(tid)).toMatchObject({ board_id: to })
    expect(await board(from)).toMatchObject({ thread_count: 0, post_count: 0, last_thread_id: null })
    expect(await board(to)).toMatchObject({ thread_count: 1, post_count: 2, last_thread_id: tid })
    const same = await staffPost(m, `/thread/${tid}/move`, { board_id: String(to) })
    expect(same.status).toBe(400)
    expect(same.text).toContain('主题已在该版块中')
    const log = await ctx.db.knex('moderation_log').where({ action: 'thread_move', target_id: tid }).first<{ before_state: string, after_state: string }>()
    expect(JSON.parse(log?.before_state ?? '{}')).toEqual({ boardId: from })
    expect(JSON.parse(log?.after_state ?? '{}')).toEqual({ boardId: to })
  })

  it('soft-deletes posts (floors kept) and threads, with every counter following; edits by author and staff only', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const b = await as(other)
    const m = await as(moderator)
    const aBefore = await postCount(member)
    const bBefore = await postCount(other)
    const tid = await postThread(ctx.t, a, boardId, '删除测试')
    await postReply(ctx.t, b, tid, '二楼')
    await postReply(ctx.t, b, tid, '三楼')
    const [p1, p2, p3] = await ctx.db.knex('posts').where({ thread_id: tid }).orderBy('position').pluck('id')

    // Edit: the author yes, another member no, staff yes.
    const editForm = await b.get(`/post/${p2}/edit`).expect(200)
    await b.post(`/post/${p2}/edit`).type('form').send({ _csrf: csrfFrom(editForm.text), body: '二楼（已修改）' }).expect(303)
    await a.get(`/post/${p2}/edit`).expect(403)
    expect((await staffPost(a, `/post/${p2}/edit`, { body: '篡改' })).status).toBe(403)
    expect((await staffPost(m, `/post/${p1}/edit`, { title: '删除测试（版主改）', body: '正文' })).status).toBe(303)
    const edited = await browser().get(`/thread/${tid}`).expect(200)
    expect(edited.text).toContain('二楼（已修改）')
    expect(edited.text).toContain('删除测试（版主改）')
    expect(edited.text).toContain('本帖最后由')

    // The author of 楼主 cannot delete a thread others replied to.
    expect((await staffPost(a, `/post/${p1}/delete`)).status).toBe(403)
    expect((await staffPost(a, `/post/${p2}/delete`)).status).toBe(403)
    expect((await staffPost(b, `/post/${p2}/delete`)).status).toBe(303)
    expect(await thread(tid)).toMatchObject({ reply_count: 1 })
    expect(await board(boardId)).toMatchObject({ thread_count: 1, post_count: 2 })
    expect(await postCount(other)).toBe(bBefore + 1)
    const page = await browser().get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain('该帖已被删除')
    expect(page.text).toContain('<strong>3楼</strong>')
    expect(page.text).not.toContain('二楼（已修改）')

    // A moderator deletes 3楼: audited; the thread's last reply falls back to 楼主.
    expect((await staffPost(m, `/post/${p3}/delete`, { reason: '灌水' })).status).toBe(303)
    expect(await thread(tid)).toMatchObject({ reply_count: 0, last_poster_name: '海边阿强' })
    const postLog = await ctx.db.knex('moderation_log').where({ action: 'post_delete', target_id: p3 }).first<{ actor_id: number, target_user_id: number, reason: string }>()
    expect(postLog).toMatchObject({ actor_id: moderator.id, target_user_id: other.id, reason: '灌水' })

    // Then the whole thread.
    const del = await staffPost(m, `/thread/${tid}/delete`)
    expect(del.status).toBe(303)
    expect(del.headers.location).toBe(`/forum/${boardId}`)
    expect(await thread(tid)).toMatchObject({ status: 'deleted' })
    expect(await board(boardId)).toMatchObject({ thread_count: 0, post_count: 0, last_thread_id: null })
    expect(await postCount(member)).toBe(aBefore)
    expect(await postCount(other)).toBe(bBefore)
    await browser().get(`/thread/${tid}`).expect(404)
    expect(await ctx.db.knex('moderation_log').where({ action: 'thread_delete', target_id: tid }).count<Array<{ n: number }>>({ n: '*' })).toEqual([{ n: 1 }])

    // A thread without replies: its author may delete it by deleting 楼主.
    const own = await postThread(ctx.t, a, boardId, '发错了')
    const ownFirst = (await ctx.db.knex('posts').where({ thread_id: own }).first<{ id: number }>('id')).id
    expect((await staffPost(a, `/post/${ownFirst}/delete`)).status).toBe(303)
    expect(await thread(own)).toMatchObject({ status: 'deleted' })
    expect(await board(boardId)).toMatchObject({ thread_count: 0, post_count: 0 })
  })

  it('members cannot use moderator actions', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const tid = await postThread(ctx.t, a, boardId, '普通主题')
    for (const [path, fields] of [['pin', { pinned: '1' }], ['close', { closed: '1' }], ['move', { board_id: '1' }], ['delete', {}]] as const) {
      expect((await staffPost(a, `/thread/${tid}/${path}`, fields)).status).toBe(403)
    }
    expect(await thread(tid)).toMatchObject({ status: 'visible', board_id: boardId })
    const page = await a.get(`/thread/${tid}`).expect(200)
    expect(page.text).not.toContain('主题管理')
    const staffPage = await (await as(moderator)).get(`/thread/${tid}`).expect(200)
    expect(staffPage.text).toContain('主题管理')
  })

  it('reconciles scrambled counters back to the truth (forum:reconcile)', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const a = await as(member)
    const b = await as(other)
    const tid = await postThread(ctx.t, a, boardId, '对账')
    await postReply(ctx.t, b, tid, '一')
    await postReply(ctx.t, b, tid, '二')
    const truthBoard = await board(boardId)
    const truthThread = await thread(tid)
    await ctx.db.knex('boards').where({ id: boardId }).update({ thread_count: 9, post_count: 99, today_posts: 7, last_thread_id: null, last_post_at: null })
    await ctx.db.knex('threads').where({ id: tid }).update({ reply_count: 50, last_position: 1, last_poster_name: '' })
    const truthPosts = [await postCount(member), await postCount(other)]
    await ctx.db.knex('users').whereIn('id', [member.id, other.id]).update({ post_count: 1234 })
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    try {
      expect(await forumCommands['forum:reconcile']?.run({ knex: ctx.db.knex, config: ctx.t.config, flags: {} })).toBe(0)
    } finally {
      log.mockRestore()
    }
    // The test clock runs ahead of the wall clock the CLI uses, so 今日 may differ by a day: compare the rest.
    const after = await board(boardId)
    expect({ ...after, today_posts: 0 }).toEqual({ ...truthBoard, today_posts: 0 })
    expect(await thread(tid)).toEqual(truthThread)
    expect([await postCount(member), await postCount(other)]).toEqual(truthPosts)
  })
})
