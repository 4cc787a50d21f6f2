import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, postReply, postThread } from '../forum/helpers'

/** Discuz's paged URLs keep their page, and its post jumps land on the floor's page and anchor. */
describe.each(dialects)('old paged URLs and post jumps on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { viewFlushIntervalMs: 3_600_000 } })
  let boardId: number
  let threadId: number
  let privateThread: number
  let categoryId: number
  let articleId: number
  /** Post ids by floor (1 = 楼主). */
  const floors: number[] = []

  beforeAll(async () => {
    const member = await createUser(ctx.db.knex)
    const group = await createGroupWithBoard(ctx.db.knex, { boardName: '街坊闲聊' })
    boardId = group.boardId
    const privateBoard = await createBoard(ctx.db.knex, { parentId: group.groupId, name: '业主之家', guestVisible: false })
    categoryId = await createCategory(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId, authorId: member.id })
    const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    threadId = await postThread(ctx.t, agent, boardId, '十二层楼的主题')
    privateThread = await postThread(ctx.t, agent, privateBoard, '内部主题')
    for (let i = 2; i <= 12; i++) await postReply(ctx.t, agent, threadId, `第${i}楼的内容`)
    const rows = await ctx.db.knex('posts').where({ thread_id: threadId }).orderBy('position').select<Array<{ id: number }>>('id')
    floors.push(0, ...rows.map((r) => r.id))
  })

  const guest = () => ctx.t.agent().set('User-Agent', BROWSER)
  const location = async (url: string, status: number): Promise<string> => String((await guest().get(url).expect(status)).headers.location)

  it('keeps the page of the Archiver\'s query forms', async () => {
    expect(await location(`/archiver/?tid-${threadId}.html&page=2`, 301)).toBe(`/archiver/tid-${threadId}.html?page=2`)
    expect(await location(`/archiver/?fid-${boardId}.html&page=3`, 301)).toBe(`/archiver/fid-${boardId}.html?page=3`)
    expect(await location(`/archiver/?action=tid&value=${threadId}&page=2`, 301)).toBe(`/archiver/tid-${threadId}.html?page=2`)
    expect(await location(`/archiver/?cid-${categoryId}.html&page=4`, 301)).toBe(`/archiver/cid-${categoryId}.html?page=4`)
    expect(await location(`/archiver/?tid-${threadId}.html&page=1`, 301)).toBe(`/archiver/tid-${threadId}.html`)
    expect(await location(`/archiver/?tid-${threadId}.html&page=abc`, 301)).toBe(`/archiver/tid-${threadId}.html`)
    // …and the page it lands on is that page: floors 11 and 12 of the thread.
    const page2 = await guest().get(`/archiver/tid-${threadId}.html?page=2`).expect(200)
    expect(page2.text).toContain('第12楼的内容')
    expect(page2.text).not.toContain('第3楼的内容')
  })

  it('keeps the page of the portal\'s and the forum\'s old URLs where the new page has pages', async () => {
    expect(await location(`/portal.php?mod=list&catid=${categoryId}&page=3`, 301)).toBe(`/category/${categoryId}?page=3`)
    expect(await location(`/portal.php?mod=list&catid=${categoryId}`, 301)).toBe(`/category/${categoryId}`)
    // A multi-page article's old page URLs open that page (test/portal/multipage.test.ts shows the page).
    expect(await location(`/portal.php?mod=view&aid=${articleId}&page=2`, 301)).toBe(`/article/${articleId}?page=2`)
    expect(await location(`/article-${articleId}-2.html`, 301)).toBe(`/article/${articleId}?page=2`)
    expect(await location(`/article-${articleId}-1.html`, 301)).toBe(`/article/${articleId}`)
    expect(await location(`/forum-${boardId}-2.html`, 301)).toBe(`/forum/${boardId}?page=2`)
    expect(await location(`/thread-${threadId}-2-1.html`, 301)).toBe(`/thread/${threadId}?page=2`)
    expect(await location(`/forum.php?mod=viewthread&tid=${threadId}&page=2`, 301)).toBe(`/thread/${threadId}?page=2`)
    expect(await location(`/forum.php?mod=forumdisplay&fid=${boardId}&page=2`, 301)).toBe(`/forum/${boardId}?page=2`)
    const page2 = await guest().get(`/thread/${threadId}?page=2`).expect(200)
    expect(page2.text).toContain('第11楼的内容')
  })

  it('sends findpost to the post\'s page and anchor, and lastpost to the last page', async () => {
    expect(await location(`/forum.php?mod=redirect&goto=findpost&ptid=${threadId}&pid=${floors[11] ?? 0}`, 302)).toBe(`/thread/${threadId}?page=2#post-${floors[11] ?? 0}`)
    expect(await location(`/forum.php?mod=redirect&goto=findpost&ptid=${threadId}&pid=${floors[3] ?? 0}`, 302)).toBe(`/thread/${threadId}#post-${floors[3] ?? 0}`)
    expect(await location(`/forum.php?mod=redirect&tid=${threadId}&goto=lastpost`, 302)).toBe(`/thread/${threadId}?page=2#post-${floors[12] ?? 0}`)
    // The anchor is the one the thread page gives that floor.
    const page = await guest().get(`/thread/${threadId}?page=2`).expect(200)
    expect(page.text).toContain(`id="post-${floors[11] ?? 0}"`)
    // No such post: the thread; no such thread: the forum; a thread guests may not read says nothing more.
    expect(await location(`/forum.php?mod=redirect&goto=findpost&ptid=${threadId}&pid=999999`, 302)).toBe(`/thread/${threadId}`)
    expect(await location('/forum.php?mod=redirect&goto=findpost&pid=999999', 301)).toBe('/forum')
    const hiddenPost = await ctx.db.knex('posts').where({ thread_id: privateThread }).first<{ id: number }>('id')
    expect(await location(`/forum.php?mod=redirect&goto=findpost&pid=${hiddenPost?.id ?? 0}`, 301)).toBe('/forum')
    expect(await location(`/forum.php?mod=redirect&goto=lastpost&tid=${privateThread}`, 302)).toBe(`/thread/${privateThread}`)
  })
})
