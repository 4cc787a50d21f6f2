import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, csrfToken, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { uploadMessages } from '../../src/features/uploads/service'
import { FAKE_GIF_HTML, SVG, TEXT, animatedGif, exifHasGps, jpegWithGpsAndOrientation, noisyPng, webp, widePng } from './fixtures'

interface UploadJson { url: string, mediumUrl: string, thumbUrl: string, markdown: string, width: number, height: number }

function filesUnder (dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort()
}

describe.each(dialects)('picture uploads on %s', (dialect) => {
  // The uploads folder exists before the app that stores into it is built (useTestApp's beforeAll).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-uploads-'))
  const ctx = useTestApp(dialect, { app: { env: { UPLOADS_DIR: dir } } })
  let admin: CreatedUser
  let moderator: CreatedUser
  let member: CreatedUser
  let adminAgent: supertest.Agent
  let adminToken: string

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    moderator = await createUser(ctx.db.knex, { role: 'moderator' })
    member = await createUser(ctx.db.knex)
    adminAgent = await login(ctx.t.agent(), admin.username, admin.password)
    adminToken = await csrfToken(adminAgent, '/uploads/new')
  })
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const rowCount = async (): Promise<number> => Number((await ctx.db.knex('uploads').count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0)

  /** An upload as the editor's script sends it (fetch with the token header, JSON back). */
  function upload (bytes: Buffer, filename: string, contentType: string, agent = adminAgent, token = adminToken): supertest.Test {
    return agent.post('/uploads').set('x-csrf-token', token).set('Accept', 'application/json')
      .attach('file', bytes, { filename, contentType })
  }

  function fetchStored (url: string, agent: supertest.Agent = ctx.t.agent()): supertest.Test {
    return agent.get(url).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { done(null, Buffer.concat(chunks)) })
    })
  }

  it('a JPEG with GPS and an orientation tag: stored upright, re-encoded without EXIF, with column copy and thumbnail', async () => {
    const jpeg = await jpegWithGpsAndOrientation()
    const before = await sharp(jpeg).metadata()
    expect(before.orientation).toBe(6)
    expect(exifHasGps(before.exif)).toBe(true)

    const res = await upload(jpeg, 'IMG_0001.jpg', 'image/jpeg').expect(200)
    const body = res.body as UploadJson
    // Orientation 6 is a quarter turn: the 300 × 200 sensor image is shown 200 × 300.
    expect(body).toMatchObject({ width: 200, height: 300 })
    expect(body.url).toMatch(/^\/uploads\/([0-9a-f]{2})\/([0-9a-f]{2})\/\1\2[0-9a-f]{60}\.jpg$/)
    expect(body.markdown).toBe(`![说明](${body.mediumUrl})`)

    const stored = await fetchStored(body.url).expect(200)
    const bytes = stored.body as Buffer
    const after = await sharp(bytes).metadata()
    expect(after).toMatchObject({ format: 'jpeg', width: 200, height: 300 })
    expect(after.exif).toBeUndefined()
    expect(after.orientation).toBeUndefined()
    expect(bytes.includes(Buffer.from('Exif\0\0'))).toBe(false)
    expect(bytes.toString('latin1')).not.toContain('LuntanCam')
    // Its left third was green: after the quarter turn clockwise it is the top third.
    const { data } = await sharp(bytes).extract({ left: 100, top: 20, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true })
    expect(data[1]).toBeGreaterThan(data[0] ?? 255)

    const row = await ctx.db.knex('uploads').first()
    expect(row).toMatchObject({ user_id: admin.id, purpose: 'article', mime: 'image/jpeg', width: 200, height: 300, bytes: bytes.length })
    expect(body.url).toContain(String(row.hash))

    // Narrower than the column: the column copy is the picture itself; the thumbnail is 240 × 160.
    const medium = await sharp((await fetchStored(body.mediumUrl).expect(200)).body as Buffer).metadata()
    expect(medium).toMatchObject({ width: 200, height: 300 })
    const thumb = await sharp((await fetchStored(body.thumbUrl).expect(200)).body as Buffer).metadata()
    expect(thumb).toMatchObject({ format: 'jpeg', width: 240, height: 160 })
  })

  it('the same picture twice is one row and one set of files', async () => {
    const jpeg = await jpegWithGpsAndOrientation()
    const rows = await rowCount()
    const files = filesUnder(dir)
    const again = await upload(jpeg, 'copy.jpg', 'image/jpeg').expect(200)
    expect(await rowCount()).toBe(rows)
    expect(filesUnder(dir)).toEqual(files)
    expect((again.body as UploadJson).url).toBe(`/uploads/${files.find((f) => /^[^-]+\.jpg$/.test(path.basename(f)))}`)
  })

  it('PNG (wide, transparent), animated GIF and WebP are accepted and re-encoded in their own format', async () => {
    const png = (await upload(await widePng(), 'wide.png', 'image/png').expect(200)).body as UploadJson
    expect(png).toMatchObject({ width: 1200, height: 600 })
    const pngMedium = await sharp((await fetchStored(png.mediumUrl).expect(200).expect('Content-Type', 'image/png')).body as Buffer).metadata()
    expect(pngMedium).toMatchObject({ format: 'png', width: 760, height: 380, hasAlpha: true })

    const gif = (await upload(await animatedGif(), 'a.gif', 'image/gif').expect(200)).body as UploadJson
    expect(gif).toMatchObject({ width: 100, height: 50 })
    // Kept animated: all three frames are in the stored file.
    const storedGif = await sharp((await fetchStored(gif.url).expect(200).expect('Content-Type', 'image/gif')).body as Buffer, { animated: true }).metadata()
    expect(storedGif).toMatchObject({ format: 'gif', pages: 3, pageHeight: 50, width: 100 })

    const wp = (await upload(await webp(), 'x.webp', 'image/webp').expect(200)).body as UploadJson
    expect(wp).toMatchObject({ width: 400, height: 300 })
    expect((await sharp((await fetchStored(wp.url).expect(200).expect('Content-Type', 'image/webp')).body as Buffer).metadata()).format).toBe('webp')
    expect(await ctx.db.knex('uploads').orderBy('id').pluck('mime')).toEqual(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
  })

  it('refuses a renamed text file, an SVG, a fake GIF with HTML, a truncated JPEG, an empty part: Chinese message, nothing stored', async () => {
    const rows = await rowCount()
    const files = filesUnder(dir)
    const jpeg = await jpegWithGpsAndOrientation()
    const cases: Array<[Buffer, string, string, string]> = [
      [TEXT, 'photo.jpg', 'image/jpeg', uploadMessages.notImage],
      [SVG, 'logo.png', 'image/png', uploadMessages.notImage],
      [FAKE_GIF_HTML, 'cat.gif', 'image/gif', uploadMessages.corrupt],
      [jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'half.jpg', 'image/jpeg', uploadMessages.corrupt],
      [Buffer.alloc(0), 'empty.jpg', 'image/jpeg', uploadMessages.empty]
    ]
    for (const [bytes, name, type, message] of cases) {
      const res = await upload(bytes, name, type)
      expect([res.status, (res.body as { error: string }).error]).toEqual([400, message])
    }
    expect(await rowCount()).toBe(rows)
    expect(filesUnder(dir)).toEqual(files)
  })

  it('a real GIF with HTML after it (polyglot) is stored as re-encoded pixels only: no HTML in any stored byte', async () => {
    const gif = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#3c3' } }).gif().toBuffer()
    const polyglot = Buffer.concat([gif, Buffer.from('<html><script>alert(document.cookie)</script></html>')])
    const res = (await upload(polyglot, 'poly.gif', 'text/html').expect(200)).body as UploadJson
    for (const url of [res.url, res.mediumUrl, res.thumbUrl]) {
      const stored = await fetchStored(url).expect(200).expect('Content-Type', 'image/gif')
      expect((stored.body as Buffer).toString('latin1')).not.toMatch(/<script|<html/i)
    }
  })

  it('refuses a file over upload_max_bytes with 413 and the limit in Chinese, storing nothing', async () => {
    await ctx.t.app.settings.set('upload_max_bytes', String(100 * 1024))
    try {
      const rows = await rowCount()
      const files = filesUnder(dir)
      const big = await noisyPng(200, 200) // ~120 KB
      expect(big.length).toBeGreaterThan(100 * 1024)
      const res = await upload(big, 'big.png', 'image/png').expect(413)
      expect((res.body as { error: string }).error).toBe(uploadMessages.tooLarge(100 * 1024))
      expect(uploadMessages.tooLarge(100 * 1024)).toContain('100 KB')
      expect(await rowCount()).toBe(rows)
      expect(filesUnder(dir)).toEqual(files)
    } finally {
      await ctx.t.app.settings.set('upload_max_bytes', String(5 * 1024 * 1024))
    }
  })

  it('a path-traversal file name is ignored: the picture is stored under its hash inside UPLOADS_DIR', async () => {
    const outside = path.join(path.dirname(dir), 'evil.png')
    const png = await sharp({ create: { width: 30, height: 30, channels: 3, background: '#123456' } }).png().toBuffer()
    const res = (await upload(png, '../../evil.png', 'image/png').expect(200)).body as UploadJson
    expect(res.url).toMatch(/^\/uploads\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/)
    expect(fs.existsSync(outside)).toBe(false)
    expect(filesUnder(dir).some((f) => f.includes('evil') || f.includes('..'))).toBe(false)
  })

  it('serves stored pictures immutable, nosniff, with the stored type, to guests and members alike', async () => {
    const stored = (await upload(await webp(), 'x.webp', 'image/webp').expect(200)).body as UploadJson
    for (const agent of [ctx.t.agent(), adminAgent]) {
      const res = await fetchStored(stored.url, agent).expect(200)
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-type']).toBe('image/webp')
      expect(res.headers['set-cookie']).toBeUndefined()
      const again = await agent.get(stored.url).set('If-None-Match', String(res.headers.etag)).expect(304)
      expect(again.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    }
    // The same key with another extension is not a stored picture: never guessed from the URL.
    await ctx.t.agent().get(stored.url.replace(/\.webp$/, '.png')).expect(404)
  })

  it('anything else under /uploads/ is a 404; traversal attempts reach no file', async () => {
    const agent = ctx.t.agent()
    const probes = ['/uploads/..%2f..%2fpackage.json', '/uploads/%2e%2e/%2e%2e/package.json', '/uploads/ab/cd/x%00.jpg',
      '/uploads/../package.json', '/uploads/' + 'a'.repeat(64) + '.jpg', '/uploads/ab/cd/' + 'ab'.padEnd(64, 'c') + '.jpg', '/uploads/%00', '/uploads/']
    for (const probe of probes) {
      const res = await agent.get(probe)
      expect([probe, res.status === 404 || res.status === 400]).toEqual([probe, true])
      expect(res.text ?? '').not.toContain('"name": "luntan"')
    }
  })

  it('guests are asked to log in (401), members refused (403); moderators may upload', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abcdef' } }).png().toBuffer()
    const guest = ctx.t.agent()
    await upload(png, 'a.png', 'image/png', guest, await csrfToken(guest)).expect(401)
    await guest.get('/uploads/new').expect(401)
    const memberAgent = await login(ctx.t.agent(), member.username, member.password)
    await memberAgent.get('/uploads/new').expect(403)
    await upload(png, 'a.png', 'image/png', memberAgent, await csrfToken(memberAgent, '/')).expect(403)
    // Without a token, nothing is read at all.
    await adminAgent.post('/uploads').set('Accept', 'application/json').attach('file', png, 'a.png').expect(403)
    expect(await ctx.db.knex('uploads').where({ width: 10 }).count<{ n: number }>({ n: '*' }).first().then((r) => Number(r?.n))).toBe(0)
    const modAgent = await login(ctx.t.agent(), moderator.username, moderator.password)
    const res = await upload(png, 'a.png', 'image/png', modAgent, await csrfToken(modAgent, '/uploads/new')).expect(200)
    expect((res.body as UploadJson).width).toBe(10)
  })

  it('without JavaScript: the form posts the file with its token in the action, then shows the Markdown line to paste', async () => {
    const page = await adminAgent.get('/uploads/new').expect(200)
    expect(page.text).toContain('enctype="multipart/form-data"')
    const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data">/.exec(page.text)?.[1]
    expect(action).toMatch(/^\/uploads\?_csrf=/)
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ff8800' } }).png().toBuffer()
    const posted = await adminAgent.post((action ?? '').replace(/&amp;/g, '&')).field('_csrf', csrfFrom(page.text)).field('alt', '橙色方块')
      .attach('file', png, { filename: 'orange.png', contentType: 'application/octet-stream' }).expect(303)
    expect(posted.headers.location).toMatch(/^\/uploads\/new\?done=[0-9a-f]{64}&alt=/)
    const done = await adminAgent.get(String(posted.headers.location)).expect(200)
    expect(done.text).toMatch(/value="!\[橙色方块\]\(\/uploads\/[0-9a-f/]+-m\.png\)"/)
    expect(done.text).toContain('64 × 48')

    // A refusal shows the form again with the reason.
    const again = await adminAgent.get('/uploads/new').expect(200)
    const action2 = /action="([^"]+)" enctype/.exec(again.text)?.[1] ?? ''
    const refused = await adminAgent.post(action2.replace(/&amp;/g, '&')).attach('file', TEXT, 'notes.png').expect(400)
    expect(refused.text).toContain(uploadMessages.notImage)
    expect(refused.text).toContain('enctype="multipart/form-data"')
  })
})
