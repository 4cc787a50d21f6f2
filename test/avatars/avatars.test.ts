import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { postComment } from '../comments/helpers'
import { createGroupWithBoard } from '../forum/factories'
import { postThread } from '../forum/helpers'
import { uploadMessages } from '../../src/features/uploads/service'
import { animatedGif, jpegWithGpsAndOrientation, webp, widePng } from '../uploads/fixtures'

describe.each(dialects)('头像 avatars on %s', (dialect) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-avatars-'))
  const ctx = useTestApp(dialect, { app: { env: { UPLOADS_DIR: dir, ...LOCAL_CLIENTS_UNLIMITED } } })
  let user: CreatedUser
  let agent: supertest.Agent

  beforeAll(async () => {
    user = await createUser(ctx.db.knex, { username: 'Avatar用户' })
    agent = await login(ctx.t.agent(), user.username, user.password)
  })
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  async function upload (bytes: Buffer, filename: string, contentType = 'image/jpeg'): Promise<supertest.Response> {
    const page = await agent.get('/settings/avatar').expect(200)
    return await agent.post(`/settings/avatar?_csrf=${encodeURIComponent(csrfFrom(page.text))}`).attach('file', bytes, { filename, contentType })
  }
  function fetchBytes (url: string): supertest.Test {
    return ctx.t.agent().get(url).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { done(null, Buffer.concat(chunks)) })
    })
  }
  const avatarRow = async (uid: number): Promise<Record<string, unknown> | undefined> => await ctx.db.knex('member_avatars').where({ user_id: uid }).first()

  it('a photo becomes three square sizes (48, 120, 200), content-hashed, served by the legacy URL', async () => {
    const res = await upload(await jpegWithGpsAndOrientation(), 'me.jpg')
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/settings/avatar?saved=avatar')
    expect(await avatarRow(user.id)).toBeDefined()
    for (const [size, px] of [['small', 48], ['middle', 120], ['big', 200]] as const) {
      const legacy = await ctx.t.agent().get(`/uc_server/avatar.php?uid=${user.id}&size=${size}`).expect(301)
      const location = String(legacy.headers.location)
      expect(location).toMatch(/^\/uploads\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/)
      expect(legacy.headers['cache-control']).toContain('public')
      const file = await fetchBytes(location).expect(200)
      const meta = await sharp(file.body as Buffer).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', px, px])
      expect(meta.exif).toBeUndefined()
    }
    const page = await agent.get('/settings/avatar?saved=avatar').expect(200)
    expect(page.text).toContain('头像已更新')
  })

  it('PNG with transparency stays PNG; GIF and WebP are accepted by their bytes whatever their name', async () => {
    const other = await createUser(ctx.db.knex)
    const png = await ctx.t.app.avatars.setFromImage(other.id, await widePng())
    const big = await sharp((await fetchBytes(png.big).expect(200)).body as Buffer).metadata()
    expect([big.format, big.width, big.height, big.hasAlpha]).toEqual(['png', 200, 200, true])
    for (const bytes of [await animatedGif(), await webp()]) {
      const res = await upload(bytes, 'picture.txt', 'text/plain')
      expect(res.status).toBe(303)
      const row = await avatarRow(user.id)
      const small = await sharp((await fetchBytes(`/uploads/${String(row?.small_key)}`).expect(200)).body as Buffer).metadata()
      expect([small.width, small.height]).toEqual([48, 48])
    }
  })

  it('refuses what is not a picture by its bytes (a text file named .jpg, an SVG), keeping the avatar as it was', async () => {
    const before = await avatarRow(user.id)
    for (const [bytes, name] of [[Buffer.from('hello, not a picture'), 'evil.jpg'], [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'a.png']] as const) {
      const res = await upload(bytes, name, 'image/jpeg')
      expect(res.status).toBe(400)
      expect(res.text).toContain(uploadMessages.notImage)
    }
    const empty = await upload(Buffer.alloc(0), 'empty.jpg')
    expect(empty.status).toBe(400)
    expect(await avatarRow(user.id)).toEqual(before)
  })

  it('no avatar: the legacy URL answers the generated default (the initial on the member colour)', async () => {
    const plain = await createUser(ctx.db.knex, { username: 'zhang_san' })
    const res = await ctx.t.agent().get(`/uc_server/avatar.php?uid=${plain.id}&size=big`).expect(301)
    expect(res.headers.location).toBe(`/avatar/default/${plain.id}/big.svg`)
    const svg = await ctx.t.agent().get(String(res.headers.location)).buffer(true).expect(200)
    expect(svg.headers['content-type']).toContain('image/svg+xml')
    const text = Buffer.isBuffer(svg.body) ? svg.body.toString() : svg.text
    expect(text).toContain('width="200"')
    expect(text).toContain('>Z</text>')
    // An unknown size is the middle one (Discuz's default); a missing uid draws the default too.
    expect((await ctx.t.agent().get(`/uc_server/avatar.php?uid=${plain.id}&size=huge`).expect(301)).headers.location).toBe(`/avatar/default/${plain.id}/middle.svg`)
    expect((await ctx.t.agent().get('/uc_server/avatar.php').expect(301)).headers.location).toBe('/avatar/default/0/middle.svg')
    await ctx.t.agent().get(`/avatar/default/${plain.id}/huge.svg`).expect(404)
  })

  it('shown with width and height, lazy, on floors, the profile and the header; reset goes back to the default', async () => {
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const threadId = await postThread(ctx.t, agent, boardId, '头像展示')
    const thread = await ctx.t.agent().get(`/thread/${threadId}`).expect(200)
    expect(thread.text).toContain(`<img src="/uc_server/avatar.php?uid=${user.id}&amp;size=middle" width="120" height="120" loading="lazy"`)
    const profile = await ctx.t.agent().get(`/user/${user.id}`).expect(200)
    expect(profile.text).toContain(`/uc_server/avatar.php?uid=${user.id}&amp;size=big" width="200" height="200" loading="lazy"`)
    const own = await agent.get('/forum').expect(200)
    expect(own.text).toContain(`<img src="/uc_server/avatar.php?uid=${user.id}&amp;size=small" width="20" height="20" loading="lazy"`)
    const page = await agent.get('/settings/avatar').expect(200)
    await agent.post('/settings/avatar/reset').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303)
    expect(await avatarRow(user.id)).toBeUndefined()
    expect((await ctx.t.agent().get(`/uc_server/avatar.php?uid=${user.id}&size=small`).expect(301)).headers.location).toBe(`/avatar/default/${user.id}/small.svg`)
  })

  it('shown on comments: each commenter\'s own small avatar, lazy, with width and height', async () => {
    const author = await createUser(ctx.db.knex, { role: 'editor' })
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, publishedAt: ctx.t.clock.now() - 60 })
    const other = await createUser(ctx.db.knex)
    const otherAgent = await login(ctx.t.agent(), other.username, other.password)
    ctx.t.clock.advance(600) // past the flood interval after this member's thread above
    expect((await postComment(agent, aid, { message: '头像评论一' })).status).toBe(303)
    ctx.t.clock.advance(600)
    expect((await postComment(otherAgent, aid, { message: '头像评论二' })).status).toBe(303)
    const page = await ctx.t.agent().get(`/article/${aid}`).expect(200)
    for (const [uid, name] of [[user.id, user.username], [other.id, other.username]] as const) {
      expect(page.text).toContain(`<img src="/uc_server/avatar.php?uid=${uid}&amp;size=small" width="24" height="24" loading="lazy" alt="" class="avatar-s"> <a href="/user/${uid}" class="comment-author">${name}</a>`)
    }
    expect(page.text).not.toContain(`avatar.php?uid=${author.id}&amp;size=small" width="24"`)
  })

  it('a guest cannot upload', async () => {
    const guest = ctx.t.agent()
    const res = await guest.post('/settings/avatar').attach('file', await webp(), { filename: 'a.webp', contentType: 'image/webp' })
    expect([401, 403]).toContain(res.status)
  })
})
