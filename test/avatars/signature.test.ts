import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, csrfFrom, login } from '../helpers/app'
import { banUser, createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { postReply, postThread } from '../forum/helpers'
import { postComment } from '../comments/helpers'

describe.each(dialects)('签名 signatures on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let user: CreatedUser
  let agent: supertest.Agent
  let boardId: number

  beforeAll(async () => {
    user = await createUser(ctx.db.knex)
    agent = await login(ctx.t.agent(), user.username, user.password)
    boardId = (await createGroupWithBoard(ctx.db.knex)).boardId
    await ctx.t.app.antiAbuse.words.add({ word: '发票', action: 'block', by: null, now: ctx.t.clock.now() })
    await ctx.t.app.antiAbuse.words.add({ word: '笨蛋', action: 'replace', by: null, now: ctx.t.clock.now() })
  })

  const stored = async (): Promise<string> => String((await ctx.db.knex('users').where({ id: user.id }).first<{ signature: string }>('signature'))?.signature)
  async function save (signature: string): Promise<supertest.Response> {
    const page = await agent.get('/settings/avatar').expect(200)
    return await agent.post('/settings/signature').type('form').send({ _csrf: csrfFrom(page.text), signature })
  }

  it('saved from settings, shown under forum floors escaped with its links, not under comments', async () => {
    const res = await save('我的博客 https://example.com/blog <b>不是标签</b>')
    expect(res.status).toBe(303)
    const threadId = await postThread(ctx.t, agent, boardId, '签名展示')
    await postReply(ctx.t, agent, threadId, '第二楼')
    const page = await ctx.t.agent().get(`/thread/${threadId}`).expect(200)
    const signs = page.text.match(/<div class="sign">[\s\S]*?<\/div>/g) ?? []
    expect(signs).toHaveLength(2)
    expect(signs[0]).toBe('<div class="sign">我的博客 <a href="https://example.com/blog" rel="nofollow ugc noopener" target="_blank">https://example.com/blog</a> &lt;b&gt;不是标签&lt;/b&gt;</div>')
    const categoryId = await createCategory(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId, authorId: user.id })
    ctx.t.clock.advance(600)
    expect((await postComment(agent, aid, { message: '评论里不显示签名' })).status).toBe(303)
    expect((await ctx.t.agent().get(`/article/${aid}`).expect(200)).text).not.toContain('class="sign"')
  })

  it('at most 200 characters; blocked words refuse it, replace words are replaced; nothing stored on a refusal', async () => {
    const before = await stored()
    const long = await save('字'.repeat(201))
    expect(long.status).toBe(400)
    expect(long.text).toContain('签名不能超过 200 个字符')
    expect(await stored()).toBe(before)
    expect((await save('字'.repeat(200))).status).toBe(303)
    const bad = await save('代开发票')
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('签名包含不允许使用的内容')
    expect(await stored()).toBe('字'.repeat(200))
    expect((await save('你是笨蛋')).status).toBe(303)
    expect(await stored()).toBe('你是**')
    expect((await save('')).status).toBe(303)
    expect(await stored()).toBe('')
  })

  it('hidden while the member is banned', async () => {
    const other = await createUser(ctx.db.knex)
    const otherAgent = await login(ctx.t.agent(), other.username, other.password)
    const page = await otherAgent.get('/settings/avatar').expect(200)
    await otherAgent.post('/settings/signature').type('form').send({ _csrf: csrfFrom(page.text), signature: '被封前的签名' }).expect(303)
    const threadId = await postThread(ctx.t, otherAgent, boardId, '封禁签名')
    expect((await ctx.t.agent().get(`/thread/${threadId}`).expect(200)).text).toContain('被封前的签名')
    await banUser(ctx.db.knex, other.id, { type: 'post', until: null, reason: '测试' })
    expect((await ctx.t.agent().get(`/thread/${threadId}`).expect(200)).text).not.toContain('被封前的签名')
    await banUser(ctx.db.knex, other.id, { type: 'post', until: ctx.t.clock.now() - 1, reason: '测试' })
    expect((await ctx.t.agent().get(`/thread/${threadId}`).expect(200)).text).toContain('被封前的签名')
  })
})
