import fc from 'fast-check'
import { Lexer } from 'marked'
import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { pathologicalMarkdown } from '../helpers/markdown-corpus'
import { RENDERER_VERSION, markdownMessages } from '../../src/lib/markdown'
import { messages as forumMessages } from '../../src/features/forum/service'
import { PREVIEW_LIMIT } from '../../src/features/forum/routes'
import { createGroupWithBoard } from './factories'
import { BROWSER, pageToken, postThread, sendReply } from './helpers'

// The probe's two bodies: ~11 s of CPU in marked, and a stack overflow (500 on every page of the thread).
const EMPHASIS_BOMB = '*a_'.repeat(6_333)
const QUOTE_BOMB = '>'.repeat(2_000)
// Generous: a request that parsed the bombs took seconds; the renderer's own bound is 50 ms (test/lib).
const REQUEST_BOUND_MS = 1_000

const refusals: string[] = [...Object.values(markdownMessages), forumMessages.bodyEmpty, forumMessages.bodyTooLong]

interface PostRenderRow { body: string, body_html: string | null, body_text_html: string | null, render_version: number | null }

describe.each(dialects)('Markdown bounds through the forum and the portal on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let boardId: number
  let author: CreatedUser
  let agent: supertest.Agent

  beforeAll(async () => {
    boardId = (await createGroupWithBoard(ctx.db.knex, { boardName: '技术交流' })).boardId
    author = await createUser(ctx.db.knex, { username: '码农阿明' })
    agent = await login(ctx.t.agent().set('User-Agent', BROWSER), author.username, author.password)
  })
  afterAll(async () => {
    jest.restoreAllMocks()
  })

  const countRows = async (table: 'posts' | 'threads'): Promise<number> => Number((await ctx.db.knex(table).count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0)
  const postRow = async (id: number): Promise<PostRenderRow> => await ctx.db.knex('posts').where({ id }).first<PostRenderRow>('body', 'body_html', 'body_text_html', 'render_version')
  const firstPostOf = async (threadId: number): Promise<number> => Number((await ctx.db.knex('posts').where({ thread_id: threadId, position: 1 }).first<{ id: number }>('id')).id)

  async function submitNew (who: supertest.Agent, fields: Record<string, string>): Promise<supertest.Response> {
    ctx.t.clock.advance(600)
    const form = await who.get(`/forum/${boardId}/new`).expect(200)
    return await who.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), ...fields })
  }

  async function timed (request: () => Promise<supertest.Response>): Promise<{ res: supertest.Response, ms: number }> {
    const start = performance.now()
    const res = await request()
    return { res, ms: performance.now() - start }
  }

  it('refuses the probe bodies with a Chinese 400 at post, preview, reply and edit, and stores nothing', async () => {
    const threadId = await postThread(ctx.t, agent, boardId, '正常的主题', '正常的**正文**。')
    const pid = await firstPostOf(threadId)
    const threadsBefore = await countRows('threads')
    const postsBefore = await countRows('posts')
    for (const [body, message] of [[EMPHASIS_BOMB, markdownMessages.tooManyMarks], [QUOTE_BOMB, markdownMessages.tooDeep]] as const) {
      const posted = await timed(async () => await submitNew(agent, { title: '炸弹', body }))
      expect(posted.res.status).toBe(400)
      expect(posted.res.text).toContain(message)
      expect(posted.ms).toBeLessThan(REQUEST_BOUND_MS)

      const previewed = await submitNew(agent, { title: '炸弹', body, preview: '预览' })
      expect(previewed.status).toBe(400)
      expect(previewed.text).toContain(message)

      ctx.t.clock.advance(600)
      const replied = await sendReply(agent, threadId, body)
      expect(replied.status).toBe(400)
      expect(replied.text).toContain(message)

      const edited = await agent.post(`/post/${pid}/edit`).type('form').send({ _csrf: await pageToken(agent, `/post/${pid}/edit`), title: '正常的主题', body })
      expect(edited.status).toBe(400)
      expect(edited.text).toContain(message)
    }
    expect(await countRows('threads')).toBe(threadsBefore)
    expect(await countRows('posts')).toBe(postsBefore)
    expect((await postRow(pid)).body).toBe('正常的**正文**。')
  })

  it('stores the rendered body with the post and shows that copy: reading a thread or its Archiver page parses no Markdown', async () => {
    const threadId = await postThread(ctx.t, agent, boardId, '存好的正文', '先看**这里**。\n\n![图](/static/img/logo.svg "示意图")')
    const pid = await firstPostOf(threadId)
    const row = await postRow(pid)
    expect(row.render_version).toBe(RENDERER_VERSION)
    expect(row.body_html).toContain('<strong>这里</strong>')
    expect(row.body_text_html).toContain('[图: 示意图]')
    // The page shows the stored copy, whatever it holds: proof that it is not rendered again on read.
    await ctx.db.knex('posts').where({ id: pid }).update({ body_html: '<p>页面存档</p>', body_text_html: '<p>文本存档</p>' })
    const blockPass = jest.spyOn(Lexer.prototype, 'blockTokens')
    try {
      const page = await ctx.t.agent().set('User-Agent', BROWSER).get(`/thread/${threadId}`).expect(200)
      expect(page.text).toContain('<p>页面存档</p>')
      const text = await ctx.t.agent().set('User-Agent', BROWSER).get(`/archiver/tid-${threadId}.html`).expect(200)
      expect(text.text).toContain('<p>文本存档</p>')
      expect(blockPass).not.toHaveBeenCalled()
    } finally {
      blockPass.mockRestore()
    }
  })

  it('shows a body stored before the limits as plain text on every page of its thread and in the Archiver, then keeps that render', async () => {
    const threadId = await postThread(ctx.t, agent, boardId, '老帖子', '正文')
    const pid = await firstPostOf(threadId)
    // As a row written before this release: the probe's body, no stored render.
    await ctx.db.knex('posts').where({ id: pid }).update({ body: `<script>x</script>\n${QUOTE_BOMB}`, body_html: null, body_text_html: null, render_version: null })
    for (const path of [`/thread/${threadId}`, `/thread/${threadId}?page=last`, `/archiver/tid-${threadId}.html`]) {
      const { res, ms } = await timed(async () => await ctx.t.agent().set('User-Agent', BROWSER).get(path))
      expect(res.status).toBe(200)
      expect(res.text).toContain('&lt;script&gt;x&lt;/script&gt;<br>&gt;&gt;&gt;')
      expect(ms).toBeLessThan(REQUEST_BOUND_MS)
    }
    const row = await postRow(pid)
    expect(row.render_version).toBe(RENDERER_VERSION)
    expect(row.body_html).toContain('&gt;&gt;&gt;')
  })

  it('renders a body stored by an older renderer version again, once, and writes it back', async () => {
    const threadId = await postThread(ctx.t, agent, boardId, '旧版本渲染', '新的**渲染**')
    const pid = await firstPostOf(threadId)
    await ctx.db.knex('posts').where({ id: pid }).update({ body_html: '<p>旧的渲染</p>', body_text_html: '<p>旧的渲染</p>', render_version: RENDERER_VERSION - 1 })
    const page = await ctx.t.agent().set('User-Agent', BROWSER).get(`/thread/${threadId}`).expect(200)
    expect(page.text).toContain('新的<strong>渲染</strong>')
    expect(page.text).not.toContain('旧的渲染')
    expect(await postRow(pid)).toMatchObject({ render_version: RENDERER_VERSION, body_html: '<p>新的<strong>渲染</strong></p>\n' })
  })

  it('forum:render renders every post stored without a current render', async () => {
    const threadId = await postThread(ctx.t, agent, boardId, '命令行渲染', '**命令**')
    const pid = await firstPostOf(threadId)
    await ctx.db.knex('posts').update({ body_html: null, body_text_html: null, render_version: null })
    const { forumCommands } = await import('../../src/features/forum/cli')
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const render = forumCommands['forum:render']
      if (render === undefined) throw new Error('forum:render is not registered')
      expect(await render.run({ knex: ctx.db.knex, config: ctx.t.config, flags: {} })).toBe(0)
    } finally {
      log.mockRestore()
    }
    expect(await ctx.db.knex('posts').whereNull('render_version').count<{ n: number | string }>({ n: '*' }).first().then((r) => Number(r?.n))).toBe(0)
    expect((await postRow(pid)).body_html).toBe('<p><strong>命令</strong></p>\n')
  })

  it('rate-limits 预览 per member like posting (a Chinese 429), without counting posts', async () => {
    const previewer = await createUser(ctx.db.knex, { username: '预览达人' })
    const who = await login(ctx.t.agent().set('User-Agent', BROWSER), previewer.username, previewer.password)
    const form = await who.get(`/forum/${boardId}/new`).expect(200)
    const token = csrfFrom(form.text)
    const preview = async (): Promise<supertest.Response> => await who.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '预览', body: '**预览**', preview: '预览' })
    for (let i = 0; i < PREVIEW_LIMIT.max; i++) expect((await preview()).status).toBe(200)
    const limited = await preview()
    expect(limited.status).toBe(429)
    expect(limited.text).toContain('您的操作太频繁，请稍后再试')
    // Posting is the anti-abuse rules' business: the same member still posts.
    ctx.t.clock.advance(600)
    const posted = await who.post(`/forum/${boardId}/new`).type('form').send({ _csrf: token, title: '预览之后', body: '正文' })
    expect(posted.status).toBe(303)
  })

  it('answers generated pathological bodies with a page or a Chinese 400, never a 500: preview, post, thread page and Archiver (fixed seed)', async () => {
    const poster = await createUser(ctx.db.knex, { username: '压测阿飞' })
    const who = await login(ctx.t.agent().set('User-Agent', BROWSER), poster.username, poster.password)
    // Forum bodies are at most 20,000 characters (cleanBody); fewer than PREVIEW_LIMIT samples, one preview each.
    const bodies = fc.sample(pathologicalMarkdown, { seed: 20261130, numRuns: PREVIEW_LIMIT.max - 2 }).map((s) => s.slice(0, 20_000))
    bodies.push(EMPHASIS_BOMB.slice(0, 1_200), QUOTE_BOMB.slice(0, 10))
    let stored = 0
    for (const body of bodies) {
      const previewed = await submitNew(who, { title: '生成的帖子', body, preview: '预览' })
      expect([200, 400]).toContain(previewed.status)
      const posted = await timed(async () => await submitNew(who, { title: '生成的帖子', body }))
      expect(posted.ms).toBeLessThan(REQUEST_BOUND_MS)
      if (posted.res.status === 400) {
        expect(refusals.some((m) => posted.res.text.includes(m))).toBe(true)
        expect(previewed.status).toBe(400)
        continue
      }
      expect(posted.res.status).toBe(303)
      stored++
      const threadId = Number(/\/thread\/(\d+)$/.exec(String(posted.res.headers.location))?.[1])
      for (const path of [`/thread/${threadId}`, `/archiver/tid-${threadId}.html`]) {
        const read = await timed(async () => await ctx.t.agent().set('User-Agent', BROWSER).get(path))
        expect(read.res.status).toBe(200)
        expect(read.ms).toBeLessThan(REQUEST_BOUND_MS)
      }
    }
    // The corpus is not all refusals: some bodies are stored and shown.
    expect(stored).toBeGreaterThan(0)
  })

  it('gives portal articles the same stored render: a body from before the limits shows as text on the article and Archiver pages', async () => {
    const categoryId = await createCategory(ctx.db.knex, { name: '公告' })
    const articleId = await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '旧文章', body: '正文' })
    await ctx.db.knex('articles').where({ id: articleId }).update({ body: EMPHASIS_BOMB, body_html: null, body_text_html: null, render_version: null })
    for (const path of [`/article/${articleId}`, `/archiver/aid-${articleId}.html`]) {
      const { res, ms } = await timed(async () => await ctx.t.agent().set('User-Agent', BROWSER).get(path))
      expect(res.status).toBe(200)
      expect(res.text).toContain('*a_*a_*a_')
      expect(ms).toBeLessThan(REQUEST_BOUND_MS)
    }
    const row = await ctx.db.knex('articles').where({ id: articleId }).first<PostRenderRow>('body_html', 'render_version')
    expect(row.render_version).toBe(RENDERER_VERSION)
    // Stored: the next reader parses nothing.
    await ctx.db.knex('articles').where({ id: articleId }).update({ body_html: '<p>文章存档</p>' })
    expect((await ctx.t.agent().set('User-Agent', BROWSER).get(`/article/${articleId}`).expect(200)).text).toContain('<p>文章存档</p>')
  })
})
