import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { banUser, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { BROWSER, postReply, postThread, staffPost } from '../forum/helpers'
import { postForm } from '../structure/helpers'

interface ThreadState { board_id: number, pinned: number | boolean, closed: number | boolean, status: string }

describe.each(dialects)('版主 of single boards on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let boardMod: CreatedUser
  let author: CreatedUser
  let siteMod: CreatedUser
  let adminAgent: supertest.Agent
  let modAgent: supertest.Agent
  let authorAgent: supertest.Agent
  let own: number // the board boardMod moderates
  let other: number // a board of the same group they do not

  const agentFor = async (u: CreatedUser): Promise<supertest.Agent> => await login(ctx.t.agent().set('User-Agent', BROWSER), u.username, u.password)
  const thread = async (id: number): Promise<{ boardId: number, pinned: boolean, closed: boolean, status: string }> => {
    const row = await ctx.db.knex('threads').where({ id }).first<ThreadState>('board_id', 'pinned', 'closed', 'status')
    return { boardId: Number(row.board_id), pinned: Boolean(row.pinned), closed: Boolean(row.closed), status: row.status }
  }
  const grants = async (boardId: number): Promise<number[]> =>
    (await ctx.db.knex('board_moderators').where({ board_id: boardId }).orderBy('user_id').select<Array<{ user_id: number }>>('user_id')).map((r) => Number(r.user_id))
  const auditCount = async (action: string): Promise<number> => (await auditLog(ctx.db.knex).list({ action }, 1000)).length

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    boardMod = await createUser(ctx.db.knex)
    author = await createUser(ctx.db.knex)
    siteMod = await createUser(ctx.db.knex, { role: 'moderator' })
    const shape = await createGroupWithBoard(ctx.db.knex, { boardName: '美食天地' })
    own = shape.boardId
    other = await createBoard(ctx.db.knex, { parentId: shape.groupId, name: '二手市场' })
    adminAgent = await agentFor(admin)
    authorAgent = await agentFor(author)
  })

  it('an admin adds a 版主 by username on the board edit page, audited; the board page shows them', async () => {
    const res = await postForm(adminAgent, `/admin/boards/${own}/moderators`, { username: boardMod.username })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/admin/boards/${own}/edit?mod=added#moderators`)
    expect(await grants(own)).toEqual([boardMod.id])
    const [entry] = await auditLog(ctx.db.knex).list({ action: 'board_moderator_add' }, 1)
    expect(entry).toMatchObject({ actor_id: admin.id, target_type: 'board', target_id: own, target_user_id: boardMod.id })
    const edit = await adminAgent.get(`/admin/boards/${own}/edit?mod=added`).expect(200)
    expect(edit.text).toContain('已添加版主')
    expect(edit.text).toContain(`/admin/boards/${own}/moderators/${boardMod.id}/delete`)
    const page = await ctx.t.agent().set('User-Agent', BROWSER).get(`/forum/${own}`).expect(200)
    expect(page.text).toMatch(new RegExp(`版主: <a href="/user/${boardMod.id}"[^>]*>${boardMod.username}</a>`))
    const otherPage = await ctx.t.agent().set('User-Agent', BROWSER).get(`/forum/${other}`).expect(200)
    expect(otherPage.text).not.toContain('版主: ')
    modAgent = await agentFor(boardMod)
  })

  it('refuses an unknown username and a second grant with a message, changing nothing', async () => {
    const before = await auditCount('board_moderator_add')
    const unknown = await postForm(adminAgent, `/admin/boards/${own}/moderators`, { username: '没有这个人' })
    expect(unknown.headers.location).toBe(`/admin/boards/${own}/edit?mod=noUser#moderators`)
    expect((await adminAgent.get(`/admin/boards/${own}/edit?mod=noUser`).expect(200)).text).toContain('没有这个用户名的会员')
    const again = await postForm(adminAgent, `/admin/boards/${own}/moderators`, { username: boardMod.username })
    expect(again.headers.location).toBe(`/admin/boards/${own}/edit?mod=already#moderators`)
    expect(await grants(own)).toEqual([boardMod.id])
    expect(await auditCount('board_moderator_add')).toBe(before)
  })

  it('refuses guests, members and site moderators on the admin forms, changing nothing', async () => {
    const guest = ctx.t.agent().set('User-Agent', BROWSER)
    // A guest is stopped at the door (the CSRF check or the login demand, whichever comes first).
    expect([401, 403]).toContain((await postForm(guest, `/admin/boards/${other}/moderators`, { username: author.username }, '/login')).status)
    expect((await postForm(authorAgent, `/admin/boards/${other}/moderators`, { username: author.username })).status).toBe(403)
    expect((await postForm(modAgent, `/admin/boards/${other}/moderators`, { username: boardMod.username })).status).toBe(403)
    const siteModAgent = await agentFor(siteMod)
    expect((await postForm(siteModAgent, `/admin/boards/${other}/moderators`, { username: author.username })).status).toBe(403)
    expect((await postForm(siteModAgent, `/admin/boards/${own}/moderators/${boardMod.id}/delete`)).status).toBe(403)
    expect((await authorAgent.get(`/admin/boards/${own}/edit`)).status).toBe(403)
    expect(await grants(other)).toEqual([])
    expect(await grants(own)).toEqual([boardMod.id])
  })

  it('the 版主 pins, closes and deletes threads in their board, audited, and sees the tools there', async () => {
    const tid = await postThread(ctx.t, authorAgent, own, '本版的主题')
    const page = await modAgent.get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain(`/thread/${tid}/pin`)
    expect((await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1', reason: '' })).status).toBe(303)
    expect((await staffPost(modAgent, `/thread/${tid}/close`, { closed: '1', reason: '' })).status).toBe(303)
    expect(await thread(tid)).toMatchObject({ pinned: true, closed: true, status: 'visible' })
    const pins = await auditLog(ctx.db.knex).list({ action: 'thread_pin' }, 10)
    expect(pins.some((e) => e.target_id === tid && e.actor_id === boardMod.id)).toBe(true)
    const del = await staffPost(modAgent, `/thread/${tid}/delete`, { reason: '' })
    expect(del.status).toBe(303)
    expect(del.headers.location).toBe(`/forum/${own}`)
    expect((await thread(tid)).status).toBe('deleted')
  })

  it('the 版主 deletes another member\'s reply in their board', async () => {
    const tid = await postThread(ctx.t, authorAgent, own, '有回复的主题')
    await postReply(ctx.t, authorAgent, tid, '一楼以外的回复')
    const post = await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number }>('id')
    const page = await modAgent.get(`/thread/${tid}`).expect(200)
    expect(page.text).toContain(`/post/${post.id}/delete`)
    expect(page.text).not.toContain(`/post/${post.id}/edit`)
    expect((await staffPost(modAgent, `/post/${post.id}/delete`, { reason: '' })).status).toBe(303)
    expect((await ctx.db.knex('posts').where({ id: post.id }).first<{ status: string }>('status')).status).toBe('deleted')
  })

  it('is refused (403, nothing changed) in a board they do not moderate', async () => {
    const tid = await postThread(ctx.t, authorAgent, other, '别的版块的主题')
    await postReply(ctx.t, authorAgent, tid, '别的版块的回复')
    const page = await modAgent.get(`/thread/${tid}`).expect(200)
    expect(page.text).not.toContain(`/thread/${tid}/pin`)
    const auditBefore = (await auditLog(ctx.db.knex).list({}, 1000)).length
    expect((await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1', reason: '' })).status).toBe(403)
    expect((await staffPost(modAgent, `/thread/${tid}/close`, { closed: '1', reason: '' })).status).toBe(403)
    expect((await staffPost(modAgent, `/thread/${tid}/delete`, { reason: '' })).status).toBe(403)
    expect((await staffPost(modAgent, `/thread/${tid}/move`, { board_id: String(own), reason: '' })).status).toBe(403)
    const reply = await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number }>('id')
    expect((await staffPost(modAgent, `/post/${reply.id}/delete`, { reason: '' })).status).toBe(403)
    expect(await thread(tid)).toEqual({ boardId: other, pinned: false, closed: false, status: 'visible' })
    expect((await ctx.db.knex('posts').where({ id: reply.id }).first<{ status: string }>('status')).status).toBe('visible')
    expect((await auditLog(ctx.db.knex).list({}, 1000)).length).toBe(auditBefore)
    // A site moderator still moderates everywhere.
    const siteModAgent = await agentFor(siteMod)
    expect((await staffPost(siteModAgent, `/thread/${tid}/pin`, { pinned: '1', reason: '' })).status).toBe(303)
    expect((await thread(tid)).pinned).toBe(true)
  })

  it('a move needs both boards: out of their board into another is refused, between two of theirs allowed', async () => {
    const tid = await postThread(ctx.t, authorAgent, own, '要移动的主题')
    expect((await staffPost(modAgent, `/thread/${tid}/move`, { board_id: String(other), reason: '' })).status).toBe(403)
    expect((await thread(tid)).boardId).toBe(own)
    await ctx.db.knex('board_moderators').insert({ user_id: boardMod.id, board_id: other, created_at: 0 })
    try {
      expect((await staffPost(modAgent, `/thread/${tid}/move`, { board_id: String(other), reason: '' })).status).toBe(303)
      expect((await thread(tid)).boardId).toBe(other)
    } finally {
      await ctx.db.knex('board_moderators').where({ user_id: boardMod.id, board_id: other }).delete()
    }
  })

  it('a banned 版主 moderates nothing', async () => {
    const tid = await postThread(ctx.t, authorAgent, own, '禁言版主的主题')
    await banUser(ctx.db.knex, boardMod.id, { type: 'post', until: null, reason: '测试' })
    try {
      expect((await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1', reason: '' })).status).toBe(403)
      expect((await thread(tid)).pinned).toBe(false)
    } finally {
      await ctx.db.knex('users').where({ id: boardMod.id }).update({ ban_type: null, ban_until: null, ban_reason: null })
    }
  })

  it('the 版主 reads and approves a reply waiting for review in their board, not in another', async () => {
    await ctx.t.app.antiAbuse.words.add({ word: '私彩', action: 'moderate', by: null, now: ctx.t.clock.now() })
    const pendingIn = async (boardId: number): Promise<{ tid: number, pid: number }> => {
      const tid = await postThread(ctx.t, authorAgent, boardId, '待审回复的主题')
      await postReply(ctx.t, authorAgent, tid, '买私彩的回复')
      const post = await ctx.db.knex('posts').where({ thread_id: tid, position: 2 }).first<{ id: number, status: string }>('id', 'status')
      expect(post.status).toBe('pending')
      return { tid, pid: post.id }
    }
    const mine = await pendingIn(own)
    const page = await modAgent.get(`/thread/${mine.tid}`).expect(200)
    expect(page.text).toContain(`/post/${mine.pid}/approve`)
    expect((await staffPost(modAgent, `/post/${mine.pid}/approve`, { reason: '' })).status).toBe(303)
    expect((await ctx.db.knex('posts').where({ id: mine.pid }).first<{ status: string }>('status')).status).toBe('visible')
    const theirs = await pendingIn(other)
    expect((await staffPost(modAgent, `/post/${theirs.pid}/approve`, { reason: '' })).status).toBe(403)
    expect((await ctx.db.knex('posts').where({ id: theirs.pid }).first<{ status: string }>('status')).status).toBe('pending')
  })

  it('an admin removes the 版主, audited; from then on they are refused in that board too', async () => {
    const res = await postForm(adminAgent, `/admin/boards/${own}/moderators/${boardMod.id}/delete`)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/admin/boards/${own}/edit?mod=removed#moderators`)
    expect(await grants(own)).toEqual([])
    const [entry] = await auditLog(ctx.db.knex).list({ action: 'board_moderator_remove' }, 1)
    expect(entry).toMatchObject({ actor_id: admin.id, target_type: 'board', target_id: own, target_user_id: boardMod.id })
    const again = await postForm(adminAgent, `/admin/boards/${own}/moderators/${boardMod.id}/delete`)
    expect(again.headers.location).toBe(`/admin/boards/${own}/edit?mod=notModerator#moderators`)
    const tid = await postThread(ctx.t, authorAgent, own, '卸任后的主题')
    expect((await staffPost(modAgent, `/thread/${tid}/pin`, { pinned: '1', reason: '' })).status).toBe(403)
    expect((await thread(tid)).pinned).toBe(false)
  })
})
