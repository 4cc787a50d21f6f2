import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, login } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { createBoard } from '../forum/factories'
import { BROWSER, postReply, postThread, staffPost } from '../forum/helpers'

function textOf (html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()
}

describe.each(dialects)('Archiver, forum half, on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 } })
  let groupId: number
  let boardId: number
  let secretBoardId: number
  let threadId: number
  let secretThreadId: number
  const queries: string[] = []

  beforeAll(async () => {
    groupId = await createBoard(ctx.db.knex, { name: '社区生活', isGroup: true })
    boardId = await createBoard(ctx.db.knex, { name: '街坊茶座', parentId: groupId })
    secretBoardId = await createBoard(ctx.db.knex, { name: '业主之家', parentId: groupId, guestVisible: false })
    const author = await createUser(ctx.db.knex, { username: '阿海' })
    const mod = await createUser(ctx.db.knex, { username: '版主阿伟', role: 'moderator' })
    const agent = ctx.t.agent().set('User-Agent', BROWSER)
    await login(agent, author.username, author.password)
    threadId = await postThread(ctx.t, agent, boardId, '周末去哪里喝早茶', '推荐一下**老街**的茶楼。\n\n![茶楼](/static/img/logo.svg "老街茶楼")')
    for (let i = 2; i <= 12; i++) await postReply(ctx.t, agent, threadId, `第${i}楼的回复`)
    const modAgent = ctx.t.agent().set('User-Agent', BROWSER)
    await login(modAgent, mod.username, mod.password)
    // Floor 3 is deleted: it keeps its place on the full page and never shows in the Archiver.
    const third = await ctx.db.knex('posts').where({ thread_id: threadId, position: 3 }).first<{ id: number }>('id')
    const del = await staffPost(modAgent, `/post/${third.id}/delete`)
    expect(del.status).toBe(303)
    secretThreadId = await postThread(ctx.t, agent, secretBoardId, '业主大会纪要')
    ctx.db.knex.on('query', (q: { sql: string }) => { queries.push(q.sql) })
  })

  const get = (url: string) => ctx.t.agent().get(url).set('User-Agent', BROWSER)

  it('carries a Discuz query form from /archiver? to /archiver/?, and drops a query too long to be one', async () => {
    const short = await ctx.t.agent().get('/archiver?tid-1.html').redirects(0).expect(301)
    expect(short.headers.location).toBe('/archiver/?tid-1.html')
    // Near the URL limit and percent-encoded, the old Location outgrew what an HTTP client reads (16 KB).
    const long = await ctx.t.agent().get(`/archiver?${'|a'.repeat(5000)}`).redirects(0).expect(301)
    expect(long.headers.location).toBe('/archiver/')
  })

  it('lists the board groups and the boards a guest may read on the index', async () => {
    const res = await get('/archiver/').expect(200)
    expect(res.text).toContain('社区生活')
    expect(res.text).toContain(`<a href="/archiver/fid-${boardId}.html">街坊茶座</a>`)
    expect(res.text).not.toContain('业主之家')
  })

  it('lists a board\'s threads with reply counts and links the full board', async () => {
    const res = await get(`/archiver/fid-${boardId}.html`).expect(200)
    expect(res.text).toContain(`<a href="/archiver/tid-${threadId}.html">周末去哪里喝早茶</a> (10篇回复)`)
    expect(res.text).toContain(`<a href="/forum/${boardId}">查看完整版本</a>`)
    expect(res.text).toContain('<title>街坊茶座 - 濠江社区 - Archiver</title>')
    await get(`/archiver/fid-${secretBoardId}.html`).expect(404)
    await get(`/archiver/fid-${groupId}.html`).expect(404)
  })

  it('shows a thread as text, 10 floors a page, without deleted floors, images or scripts, within the byte budget', async () => {
    const first = await get(`/archiver/tid-${threadId}.html`).expect(200)
    const html = first.text
    expect(html).not.toMatch(/<script|<img|<link rel="stylesheet"|@font-face/i)
    expect(html).toContain('楼主 阿海')
    expect(html).toContain('[图: 老街茶楼]')
    expect(html).toContain('<strong>老街</strong>')
    expect(html).toContain('2楼 阿海')
    expect(html).not.toContain('第3楼的回复')
    expect(html).toContain('10楼 阿海')
    expect(html).not.toContain('11楼')
    expect(html).toContain(`页: [1] <a href="/archiver/tid-${threadId}.html?page=2">2</a>`)
    expect(html).toMatch(/社区生活 › <a href="\/archiver\/fid-\d+\.html">街坊茶座<\/a> › 周末去哪里喝早茶/)
    expect(Buffer.byteLength(html) - Buffer.byteLength(textOf(html))).toBeLessThanOrEqual(2048)
    const second = await get(`/archiver/tid-${threadId}.html?page=2`).expect(200)
    expect(second.text).toContain('11楼 阿海')
    expect(second.text).toContain('12楼 阿海')
    expect(second.text).toContain(`<a href="/thread/${threadId}?page=2">查看完整版本</a>`)
  })

  it('hides members-only threads from guests and answers unknown threads with the small 404', async () => {
    const res = await get(`/archiver/tid-${secretThreadId}.html`).expect(404)
    expect(res.text).not.toContain('业主大会纪要')
    await get('/archiver/tid-999999.html').expect(404)
  })

  it('answers 304 to a matching conditional request and counts thread views', async () => {
    const before = Number((await ctx.db.knex('threads').where({ id: threadId }).first('views')).views)
    const res = await ctx.t.agent().get(`/archiver/tid-${threadId}.html`).set('User-Agent', 'Mozilla/5.0 (Archiver reader) Firefox/1').expect(200)
    await ctx.t.agent().get(`/archiver/tid-${threadId}.html`).set('User-Agent', 'Mozilla/5.0 (Archiver reader) Firefox/1').set('If-None-Match', String(res.headers.etag)).expect(304)
    await ctx.t.app.viewCounts.flush()
    const after = Number((await ctx.db.knex('threads').where({ id: threadId }).first('views')).views)
    expect(after - before).toBeGreaterThanOrEqual(1)
  })

  it('serves an Archiver thread page in at most 2 queries when the board list is warm', async () => {
    const warm = await buildTestApp(ctx.db, { guestCacheMs: 1000, knex: ctx.db.knex })
    try {
      await warm.agent().get(`/archiver/fid-${boardId}.html`).set('User-Agent', BROWSER).expect(200)
      queries.length = 0
      await warm.agent().get(`/archiver/tid-${threadId}.html?page=2`).set('User-Agent', BROWSER).expect(200)
      expect(queries.length).toBeLessThanOrEqual(2)
    } finally {
      await warm.close()
    }
  })

  it('lists guest-readable threads in the sitemap', async () => {
    const res = await get('/sitemap.xml').set('Host', 'bbs.example.com').expect(200)
    expect(res.text).toContain(`<loc>http://bbs.example.com/thread/${threadId}</loc>`)
    expect(res.text).not.toContain(`/thread/${secretThreadId}<`)
  })
})
