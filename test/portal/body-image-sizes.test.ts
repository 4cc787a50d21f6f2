import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { RENDERER_VERSION, sizeImages } from '../../src/lib/markdown'
import { uploadUrlsIn } from '../../src/lib/upload-keys'
import { widePng } from '../uploads/fixtures'
import { createBoard } from '../forum/factories'
import { postReply, postThread } from '../forum/helpers'

const HASH = 'ab'.repeat(32)

describe('sizeImages and uploadUrlsIn (pure)', () => {
  it('adds the known size to sanitized <img>, leaves unknown pictures alone, and finds each upload URL once', () => {
    const url = `/uploads/ab/ab/${HASH}-m.jpg`
    const html = `<p><img src="${url}" alt="a" loading="lazy" decoding="async" /><img src="/uploads/x.png" alt="b" /></p>`
    expect(sizeImages(html, new Map([[url, { width: 760, height: 380 }]])))
      .toBe(`<p><img src="${url}" width="760" height="380" alt="a" loading="lazy" decoding="async" /><img src="/uploads/x.png" alt="b" /></p>`)
    expect(uploadUrlsIn(`![a](${url}) [link](${url}) ![b](/uploads/ab/ab/${HASH}.png) /uploads/nope.jpg`)).toEqual([url, `/uploads/ab/ab/${HASH}.png`])
  })
})

describe.each(dialects)('article body pictures carry their stored width/height on %s', (dialect) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-body-sizes-'))
  const ctx = useTestApp(dialect, { app: { env: { ...LOCAL_CLIENTS_UNLIMITED, UPLOADS_DIR: dir } } })
  let admin: CreatedUser
  let agent: supertest.Agent
  let categoryId: number
  let picture: { url: string, mediumUrl: string, thumbUrl: string }

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    categoryId = await createCategory(ctx.db.knex, { name: '图片' })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
    // 1200 × 600: its column copy is 760 × 380, its thumbnail 240 × 160.
    picture = await ctx.t.app.uploads.storeImage(await widePng(), { purpose: 'article', userId: admin.id })
  })
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  const imgTag = (html: string, src: string): string => new RegExp(`<img src="${src}"[^>]*>`).exec(html)?.[0] ?? ''

  it('an article published through the editor stores each upload with its size, lazy and async', async () => {
    const missing = `/uploads/cd/cd/${'cd'.repeat(32)}-m.jpg`
    const body = [
      `![海港](${picture.mediumUrl} "海港全景")`,
      `![原图](${picture.url})`,
      // The author's own width/height are dropped by the sanitizer; the stored ones replace them.
      `<img src="${picture.thumbUrl}" width="1" height="9999" alt="缩略图">`,
      `![不存在](${missing})`
    ].join('\n\n')
    const page = await agent.get('/portal/write').expect(200)
    const res = await agent.post('/portal/write').type('form')
      .send({ _csrf: csrfFrom(page.text), title: '有图的文章', catid: String(categoryId), body, status: 'published', allow_comments: '1' })
    expect(res.status).toBe(303)
    const id = Number((await ctx.db.knex('articles').where({ title: '有图的文章' }).first<{ id: number }>('id')).id)
    const html = (await ctx.t.agent().get(`/article/${id}`).expect(200)).text
    expect(imgTag(html, picture.mediumUrl)).toBe(`<img src="${picture.mediumUrl}" width="760" height="380" alt="海港" loading="lazy" decoding="async" />`)
    expect(imgTag(html, picture.url)).toContain('width="1200" height="600"')
    expect(imgTag(html, picture.thumbUrl)).toMatch(/^<img src="[^"]+" width="240" height="160" alt="缩略图" loading="lazy" decoding="async" \/>$/)
    // A path that is no stored picture gets no invented size.
    expect(imgTag(html, missing)).toMatch(/^<img /)
    expect(imgTag(html, missing)).not.toMatch(/width=/)
  })

  it('the editor\'s previews (the 预览 button without JavaScript, the live one beside the body) size the pictures too', async () => {
    const body = `![海港](${picture.mediumUrl})`
    const page = await agent.get('/portal/write').expect(200)
    const form = await agent.post('/portal/write').type('form')
      .send({ _csrf: csrfFrom(page.text), title: '预览有图', catid: String(categoryId), body, status: 'draft', preview: '1' }).expect(200)
    expect(imgTag(form.text, picture.mediumUrl)).toContain('width="760" height="380"')
    const live = await agent.post('/portal/preview').type('form').send({ _csrf: csrfFrom(page.text), body }).expect(200)
    expect(imgTag((live.body as { html: string }).html, picture.mediumUrl)).toContain('width="760" height="380"')
  })

  it('a body stored by an older renderer is rendered again once with the sizes (render_version bumped)', async () => {
    const id = await createArticle(ctx.db.knex, { categoryId, authorId: admin.id, title: '旧文章', body: `旧图：\n\n![旧图](${picture.mediumUrl})` })
    await ctx.db.knex('articles').where({ id }).update({ body_html: `<p><img src="${picture.mediumUrl}" alt="旧图" loading="lazy" /></p>`, render_version: RENDERER_VERSION - 1 })
    const html = (await ctx.t.agent().get(`/article/${id}`).expect(200)).text
    expect(imgTag(html, picture.mediumUrl)).toContain('width="760" height="380"')
    const row = await ctx.db.knex('articles').where({ id }).first<{ render_version: number, body_html: string }>('render_version', 'body_html')
    expect(Number(row.render_version)).toBe(RENDERER_VERSION)
    expect(row.body_html).toContain('width="760" height="380"')
  })

  it('forum posts store their pictures with the stored size too: the 楼主 post and a reply', async () => {
    const group = await createBoard(ctx.db.knex, { name: '图片区', isGroup: true })
    const board = await createBoard(ctx.db.knex, { name: '晒图', parentId: group })
    const threadId = await postThread(ctx.t, agent, board, '晒一张海港', `![海港](${picture.mediumUrl})`)
    await postReply(ctx.t, agent, threadId, `再来一张：\n\n![原图](${picture.url})`)
    const html = (await ctx.t.agent().get(`/thread/${threadId}`).expect(200)).text
    expect(imgTag(html, picture.mediumUrl)).toContain('width="760" height="380"')
    expect(imgTag(html, picture.url)).toContain('width="1200" height="600"')
    const rows = await ctx.db.knex('posts').where({ thread_id: threadId }).orderBy('position').select<Array<{ body_html: string }>>('body_html')
    expect(rows.map((r) => /width="\d+" height="\d+"/.test(r.body_html))).toEqual([true, true])
  })
})
