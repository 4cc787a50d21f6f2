import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, csrfFrom, login, type TestApp } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, postReply, postThread, staffPost } from '../forum/helpers'
import { commentIdFrom, postComment } from '../comments/helpers'
import { postBan, postUnban } from './helpers'

// A moderator under 禁止发言 moderates nothing: every moderation route answers 403 with the ban and changes nothing.
describe.each(dialects)('a banned moderator on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp
  let admin: CreatedUser
  let mod: CreatedUser
  let member: CreatedUser
  let victim: CreatedUser

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    // View counts are flushed by hand (never): the moderator's visit before the snapshot must not land
    // in `threads.views` between the snapshot and the check (it did, under load, with the 500 ms timer).
    t = await buildTestApp(db, { env: { RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1' }, viewFlushIntervalMs: 3_600_000 })
    admin = await createUser(db.knex, { username: '站长', role: 'admin' })
    mod = await createUser(db.knex, { username: '被禁版主', role: 'moderator' })
    member = await createUser(db.knex, { username: '普通会员' })
    victim = await createUser(db.knex, { username: '另一会员' })
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  const browser = () => t.agent().set('User-Agent', BROWSER)

  it('is refused every moderation route (403 naming the ban), and nothing changes', async () => {
    const adminAgent = await login(browser(), admin.username, admin.password)
    const modAgent = await login(browser(), mod.username, mod.password)
    const memberAgent = await login(browser(), member.username, member.password)

    // Content to moderate: a thread with a reply, a pending post and a pending comment (a moderated word),
    // a member's comment, and a member already banned (to lift).
    const { boardId } = await createGroupWithBoard(db.knex)
    const otherBoard = await createBoard(db.knex)
    const tid = await postThread(t, memberAgent, boardId, '普通主题')
    await postReply(t, memberAgent, tid, '普通回复')
    const words = await adminAgent.get('/admin/words').expect(200)
    await adminAgent.post('/admin/words').type('form').send({ _csrf: csrfFrom(words.text), word: '待审词', action: 'moderate' }).expect(303)
    await postReply(t, memberAgent, tid, '这里有待审词')
    const pendingPost = await db.knex('posts').where({ thread_id: tid, status: 'pending' }).first<{ id: number }>('id')
    const replyPost = await db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number }>('id')
    const aid = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: admin.id })
    t.clock.advance(600)
    const visibleComment = commentIdFrom(await postComment(memberAgent, aid, { message: '普通评论' }))
    t.clock.advance(600)
    const pendingComment = commentIdFrom(await postComment(memberAgent, aid, { message: '评论里有待审词' }))
    expect((await postBan(adminAgent, victim.id, { reason: '先前的处罚' })).status).toBe(303)

    // Before the ban the moderator has the tools.
    expect((await modAgent.get(`/thread/${tid}`).expect(200)).text).toContain('主题管理')
    await modAgent.get('/mod').expect(200)

    expect((await postBan(adminAgent, mod.id, { reason: '滥用版主权限' })).status).toBe(303)
    const before = {
      thread: await db.knex('threads').where({ id: tid }).first(),
      posts: await db.knex('posts').where({ thread_id: tid }).orderBy('id'),
      comments: await db.knex('comments').where({ article_id: aid }).orderBy('id'),
      bans: await db.knex('bans').orderBy('id'),
      log: await db.knex('moderation_log').count<Array<{ n: number | string }>>({ n: '*' })
    }

    const refusals: Array<[string, () => Promise<{ status: number, text: string }>]> = [
      ['pin', async () => await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1' })],
      ['close', async () => await staffPost(modAgent, `/thread/${tid}/close`, { closed: '1' })],
      ['move', async () => await staffPost(modAgent, `/thread/${tid}/move`, { board_id: String(otherBoard) })],
      ['thread delete', async () => await staffPost(modAgent, `/thread/${tid}/delete`)],
      ['post delete', async () => await staffPost(modAgent, `/post/${replyPost.id}/delete`)],
      ['post approve', async () => await staffPost(modAgent, `/post/${pendingPost.id}/approve`)],
      ['/mod/posts', async () => await modAgent.get('/mod/posts')],
      ['/mod/comments', async () => await modAgent.get('/mod/comments')],
      ['/mod/comments approve', async () => await staffPost(modAgent, '/mod/comments', { single: `approve:${pendingComment}` })],
      ['/mod/comments delete', async () => await staffPost(modAgent, '/mod/comments', { single: `delete:${visibleComment}` })],
      ['comment delete', async () => await staffPost(modAgent, `/comments/${visibleComment}/delete`)],
      ['/mod', async () => await modAgent.get('/mod')],
      ['ban form', async () => await modAgent.get(`/mod/ban/${member.id}`)],
      ['ban', async () => await postBan(modAgent, member.id, {})],
      ['lift', async () => await postUnban(modAgent, victim.id, '提前解除')]
    ]
    for (const [name, attempt] of refusals) {
      const res = await attempt()
      expect([name, res.status]).toEqual([name, 403])
      expect([name, res.text.includes('您已被禁止发言')]).toEqual([name, true])
    }

    expect(await db.knex('threads').where({ id: tid }).first()).toEqual(before.thread)
    expect(await db.knex('posts').where({ thread_id: tid }).orderBy('id')).toEqual(before.posts)
    expect(await db.knex('comments').where({ article_id: aid }).orderBy('id')).toEqual(before.comments)
    expect(await db.knex('bans').orderBy('id')).toEqual(before.bans)
    expect(await db.knex('moderation_log').count<Array<{ n: number | string }>>({ n: '*' })).toEqual(before.log)

    // The pages stop offering the tools and the staff links.
    const threadPage = await modAgent.get(`/thread/${tid}`).expect(200)
    expect(threadPage.text).not.toContain('主题管理')
    expect(threadPage.text).not.toContain('href="/mod"')
    expect((await modAgent.get(`/article/${aid}`).expect(200)).text).not.toContain(`/mod/ban/${member.id}`)

    // Once the ban is lifted, the tools come back.
    expect((await postUnban(adminAgent, mod.id, '已改正')).status).toBe(303)
    expect((await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1' })).status).toBe(303)
    await modAgent.get('/mod/comments').expect(200)
  })
})
