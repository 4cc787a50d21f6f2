import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from './factories'
import { BROWSER, postReply, postThread } from './helpers'

const ua = (n: number | string): string => `Mozilla/5.0 (Visitor ${n}) Chrome/120.0 Safari/537.36`

describe.each(dialects)('forum visibility, legacy URLs and views on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 } })
  let member: CreatedUser
  let openBoard: number
  let privateBoard: number
  let privateSub: number
  let openThread: number
  let privateThread: number
  let privateSubThread: number

  beforeAll(async () => {
    member = await createUser(ctx.db.knex, { username: '业主阿梅' })
    openBoard = (await createGroupWithBoard(ctx.db.knex, { boardName: '街坊闲聊' })).boardId
    const { groupId } = await createGroupWithBoard(ctx.db.knex, { boardName: '占位版块' })
    privateBoard = await createBoard(ctx.db.knex, { parentId: groupId, name: '业主之家', guestVisible: false })
    // A sub-board of a members-only board is members-only too, whatever its own flag says.
    privateSub = await createBoard(ctx.db.knex, { parentId: privateBoard, name: '维修基金' })
    const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    openThread = await postThread(ctx.t, agent, openBoard, '公开主题：海滨长廊夜跑')
    privateThread = await postThread(ctx.t, agent, privateBoard, '内部主题：充电桩方案')
    privateSubThread = await postThread(ctx.t, agent, privateSub, '内部主题：维修基金公示')
  })

  const guest = () => ctx.t.agent().set('User-Agent', BROWSER)
  const asMember = async () => await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)

  it('hides members-only boards from guests everywhere: index, board, thread, sub-board, latest threads', async () => {
    const index = await guest().get('/forum').expect(200)
    expect(index.text).toContain('街坊闲聊')
    expect(index.text).not.toContain('业主之家')
    expect(index.text).not.toContain('内部主题')
    expect(index.text).not.toContain('维修基金')
    await guest().get(`/forum/${privateBoard}`).expect(404)
    await guest().get(`/forum/${privateSub}`).expect(404)
    await guest().get(`/thread/${privateThread}`).expect(404)
    await guest().get(`/thread/${privateSubThread}`).expect(404)
    await guest().get(`/forum/${privateBoard}/new`).expect(401)
    const home = await guest().get('/').expect(200)
    expect(home.text).toContain('最新主题')
    expect(home.text).toContain('公开主题：海滨长廊夜跑')
    expect(home.text).not.toContain('内部主题')
  })

  it('shows them to members', async () => {
    const agent = await asMember()
    const index = await agent.get('/forum').expect(200)
    expect(index.text).toContain('业主之家')
    expect(index.text).toContain('[会员可见]')
    const list = await agent.get(`/forum/${privateBoard}`).expect(200)
    expect(list.text).toContain('内部主题：充电桩方案')
    expect(list.text).toContain(`<a href="/forum/${privateSub}">维修基金</a>`)
    await agent.get(`/thread/${privateThread}`).expect(200)
    await agent.get(`/thread/${privateSubThread}`).expect(200)
    const home = await agent.get('/').expect(200)
    expect(home.text).toContain('内部主题：充电桩方案')
    expect(home.text).toContain('公开主题：海滨长廊夜跑')
  })

  it('answers 404 for unknown or malformed ids and for groups', async () => {
    await guest().get('/forum/999999').expect(404)
    await guest().get('/forum/abc').expect(404)
    await guest().get('/thread/999999').expect(404)
    await guest().get('/thread/0').expect(404)
    const group = await ctx.db.knex('boards').where({ is_group: true }).first<{ id: number }>('id')
    await guest().get(`/forum/${group.id}`).expect(404)
  })

  it('redirects Discuz static URLs with 301', async () => {
    const forumHtml = await guest().get(`/forum-${openBoard}-1.html`).expect(301)
    expect(forumHtml.headers.location).toBe(`/forum/${openBoard}`)
    expect((await guest().get(`/forum-${openBoard}-3.html`).expect(301)).headers.location).toBe(`/forum/${openBoard}?page=3`)
    expect((await guest().get(`/thread-${openThread}-1-1.html`).expect(301)).headers.location).toBe(`/thread/${openThread}`)
    expect((await guest().get(`/thread-${openThread}-2-1.html`).expect(301)).headers.location).toBe(`/thread/${openThread}?page=2`)
    await guest().get('/thread-abc-1-1.html').expect(404)
    const php = async (query: string): Promise<string> => String((await guest().get(`/forum.php${query}`).expect(301)).headers.location)
    expect(await php('')).toBe('/forum')
    expect(await php('?mod=index')).toBe('/forum')
    expect(await php(`?mod=forumdisplay&fid=${openBoard}`)).toBe(`/forum/${openBoard}`)
    expect(await php(`?mod=forumdisplay&fid=${openBoard}&page=2`)).toBe(`/forum/${openBoard}?page=2`)
    expect(await php(`?mod=viewthread&tid=${openThread}`)).toBe(`/thread/${openThread}`)
    expect(await php(`?mod=viewthread&tid=${openThread}&extra=page%3D1&page=3`)).toBe(`/thread/${openThread}?page=3`)
    // The last post moves with each reply: a 302 to its page and anchor (test/infra/legacy-pages.test.ts).
    expect((await guest().get(`/forum.php?mod=redirect&goto=lastpost&tid=${openThread}`).expect(302)).headers.location).toMatch(new RegExp(`^/thread/${openThread}#post-\\d+$`))
    expect(await php('?mod=viewthread&tid=x')).toBe('/forum')
    // The darkroom still answers its own forum.php URL through the same plugin.
    expect(await php('?mod=misc&action=showdarkroom')).toBe('/darkroom')
    await guest().get('/forum.php?mod=nosuchmodule').expect(404)
  })

  it('counts thread views through app.viewCounts with the article dedupe, showing pending views at once', async () => {
    const stored = async (): Promise<number> => Number((await ctx.db.knex('threads').where({ id: openThread }).first<{ views: number }>('views')).views)
    const start = await stored()
    const pages = await Promise.all(Array.from({ length: 5 }, async (_, i) => await ctx.t.agent().set('User-Agent', ua(i)).get(`/thread/${openThread}`).expect(200)))
    const shown = pages.map((p) => Number(/id="view-count">(\d+)</.exec(p.text)?.[1]))
    expect(Math.max(...shown)).toBe(start + 5)
    const again = ctx.t.agent().set('User-Agent', ua(0))
    await again.get(`/thread/${openThread}`).expect(200) // same visitor within the window: not counted
    await ctx.t.agent().set('User-Agent', 'Mozilla/5.0 (compatible; Baiduspider/2.0)').get(`/thread/${openThread}`).expect(200)
    expect(await stored()).toBe(start)
    await ctx.t.app.viewCounts.flush()
    expect(await stored()).toBe(start + 5)
    const list = await guest().get(`/forum/${openBoard}`).expect(200)
    expect(list.text).toContain(`<span class="xg1">${start + 5}</span>`)
  })

  it('a reply by a member to a members-only thread is refused for guests and works for members', async () => {
    const agent = await asMember()
    const location = await postReply(ctx.t, agent, privateThread, '支持建充电桩')
    expect(location).toMatch(new RegExp(`^/thread/${privateThread}\\?page=1#post-\\d+$`))
    const res = await guest().post(`/thread/${privateThread}/reply`).type('form').send({ body: 'x' })
    expect([401, 403]).toContain(res.status)
  })
})
