import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { BROWSER, postThread, sendReply } from '../forum/helpers'
import { postComment } from '../comments/helpers'
import { bodyHasForbiddenControl, hasForbiddenControl } from '../../src/lib/control-chars'

describe('control characters in user text', () => {
  it('finds C0 controls but tab/newline/CR, DEL and lone surrogates, in keys and nested values', () => {
    for (const bad of ['a\u0000b', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b[31m', '\u001f', '\u007f', '\ud800', 'x\udc00', '\udc00\ud800']) {
      expect([bad, hasForbiddenControl(bad)]).toEqual([bad, true])
    }
    for (const good of ['顶', 'a\tb\r\nc', '😀 表情', '']) expect([good, hasForbiddenControl(good)]).toEqual([good, false])
    expect(bodyHasForbiddenControl({ a: ['ok', { b: 'x\u0000' }] })).toBe(true)
    expect(bodyHasForbiddenControl({ 'k\u0000': 'ok' })).toBe(true)
    expect(bodyHasForbiddenControl({ a: ['ok', { b: 1, c: null, d: true }] })).toBe(false)
    let deep: unknown = 'x\u0000'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(bodyHasForbiddenControl(deep)).toBe(true)
  })
})

describe.each(dialects)('control characters at the edge on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let member: CreatedUser

  beforeAll(async () => {
    member = await createUser(ctx.db.knex, { username: '控制字符' })
  })

  const message = '提交的内容含有不允许的控制字符'

  it('refuses a comment, a thread title and a post body carrying NUL or a C0 control (400, Chinese, nothing stored); tabs and newlines pass', async () => {
    const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: (await createUser(ctx.db.knex)).id })
    const { boardId } = await createGroupWithBoard(ctx.db.knex)

    const comment = await postComment(agent, aid, { message: '顶\u0000顶' })
    expect(comment.status).toBe(400)
    expect(comment.text).toContain(message)
    expect(comment.text).toContain('控制字符</a>') // still shown logged in (the header's member link)
    const bell = await postComment(agent, aid, { message: '响铃\u0007响铃' })
    expect(bell.status).toBe(400)
    expect(await ctx.db.knex('comments').where({ article_id: aid })).toHaveLength(0)

    ctx.t.clock.advance(600)
    const form = await agent.get(`/forum/${boardId}/new`).expect(200)
    const thread = await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title: '标题\u0000注入', body: '正文' })
    expect(thread.status).toBe(400)
    expect(thread.text).toContain(message)
    expect(await ctx.db.knex('threads').where({ board_id: boardId })).toHaveLength(0)

    const tid = await postThread(ctx.t, agent, boardId, '正常的标题', '第一行\n\t缩进的第二行\r\n第三行')
    const stored = await ctx.db.knex('posts').where({ thread_id: tid }).first<{ body: string }>('body')
    expect(stored.body).toContain('\t缩进的第二行')
    ctx.t.clock.advance(600)
    const reply = await sendReply(agent, tid, '回复\u001b[31m红色')
    expect(reply.status).toBe(400)
    expect(reply.text).toContain(message)
    expect(await ctx.db.knex('posts').where({ thread_id: tid })).toHaveLength(1)
  })

  it('refuses a lone surrogate sent as JSON, answering JSON', async () => {
    const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: (await createUser(ctx.db.knex)).id })
    const page = await agent.get(`/article/${aid}`).expect(200)
    ctx.t.clock.advance(600)
    const res = await agent.post(`/article/${aid}/comments`).set('Accept', 'application/json').set('Content-Type', 'application/json')
      .send(`{"_csrf":${JSON.stringify(csrfFrom(page.text))},"message":"半个\\ud800字符"}`)
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ statusCode: 400 })
    expect(String(res.body.error)).toContain(message)
    expect(await ctx.db.knex('comments').where({ article_id: aid })).toHaveLength(0)
  })
})
