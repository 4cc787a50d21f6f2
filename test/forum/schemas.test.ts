import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { messages } from '../../src/features/forum'
import { createGroupWithBoard } from './factories'
import { BROWSER, postThread, staffPost } from './helpers'

// The forum's, moderation's and the admin word list's routes declare TypeBox schemas: absurd input
// meets the site's Chinese 400 naming the field, while everything the handlers used to accept
// leniently (ids that are not numbers, ?page=abc, unknown parameters) still gets what it got.
describe.each(dialects)('route schemas of the forum, moderation and admin on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: { RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1' } } })
  const browser = () => ctx.t.agent().set('User-Agent', BROWSER)

  it('refuses an absurd title with the 400 naming 标题; the 80-character rule still answers with the form', async () => {
    const member = await createUser(ctx.db.knex)
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const agent = await login(browser(), member.username, member.password)
    ctx.t.clock.advance(600)
    const absurd = await staffPost(agent, `/forum/${boardId}/new`, { title: '长'.repeat(1001), body: '正文' })
    expect(absurd.status).toBe(400)
    expect(absurd.text).toContain('表单中的“标题”过长（最多 1000 个字符）')
    const json = await agent.post(`/forum/${boardId}/new`).set('Accept', 'application/json').type('form').send({ _csrf: await csrfToken(agent, `/forum/${boardId}/new`), title: '长'.repeat(1001), body: '正文' })
    expect(json.status).toBe(400)
    expect(json.body).toMatchObject({ statusCode: 400, field: 'title' })

    const long = await staffPost(agent, `/forum/${boardId}/new`, { title: '长'.repeat(81), body: '正文' })
    expect(long.status).toBe(400)
    expect(long.text).toContain(messages.titleTooLong)
    expect(long.text).toContain('长'.repeat(81)) // what was typed, back in the form
    expect(await ctx.db.knex('threads').count({ n: '*' }).first()).toMatchObject({ n: 0 })
  })

  it('keeps lenient URLs lenient: a non-numeric id is the Chinese 404, ?page=abc is page 1, unknown parameters are ignored', async () => {
    const member = await createUser(ctx.db.knex)
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const agent = await login(browser(), member.username, member.password)
    const threadId = await postThread(ctx.t, agent, boardId, '宽松的网址')
    const board = await browser().get(`/forum/${boardId}?page=abc&r=123`).expect(200)
    expect(board.text).toContain('宽松的网址')
    const thread = await browser().get(`/thread/${threadId}?page=last&quote=abc&utm=x`).expect(200)
    expect(thread.text).toContain('宽松的网址')
    expect((await browser().get('/forum/abc').expect(404)).text).toContain(messages.boardNotFound)
    expect((await browser().get('/thread/abc').expect(404)).text).toContain(messages.threadNotFound)
    expect((await browser().get('/darkroom?before=abc')).status).not.toBe(400)
  })

  it('names the field on the ban form and the word list too', async () => {
    const admin = await createUser(ctx.db.knex, { role: 'admin' })
    const target = await createUser(ctx.db.knex)
    const agent = await login(browser(), admin.username, admin.password)
    const ban = await staffPost(agent, `/mod/ban/${target.id}`, { type: 'post', duration: '7', reason: '理'.repeat(1001) })
    expect(ban.status).toBe(400)
    expect(ban.text).toContain('表单中的“理由”过长')
    // Within the cap, the service's 2–200 character rule answers with the form, as before.
    const short = await staffPost(agent, `/mod/ban/${target.id}`, { type: 'post', duration: '7', reason: '理' })
    expect(short.status).toBe(400)
    expect(short.text).toContain('操作理由必须为 2 到 200 个字符')

    const word = await staffPost(agent, '/admin/words', { word: '词'.repeat(1001), action: 'block' })
    expect(word.status).toBe(400)
    expect(word.text).toContain('表单中的“屏蔽词”过长')
    const within = await staffPost(agent, '/admin/words', { word: '词'.repeat(101), action: 'block' })
    expect(within.status).toBe(400)
    expect(within.text).toContain('屏蔽词不能超过 100 个字符')
  })

  it('answers a POST without any body with the CSRF refusal, as before schemas', async () => {
    for (const path of ['/thread/1/reply', '/thread/1/pin', '/post/1/delete', '/mod/unban/1', '/admin/words']) {
      expect([path, (await ctx.t.agent().post(path)).status]).toEqual([path, 403])
    }
  })
})
