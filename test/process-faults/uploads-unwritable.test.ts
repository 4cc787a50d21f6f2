import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type supertest from 'supertest'
import { countRows, dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, csrfFrom, csrfToken, login, type TestApp } from '../helpers/app'
import { createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { uploadMessages } from '../../src/features/uploads/service'
import { noisyPng } from '../uploads/fixtures'

/**
 * The uploads folder cannot take a file (issue 24, faults): an upload answers the Chinese 503 (the form
 * page again, or JSON), stores no row (no row without its files), leaves no part-written file, and the
 * rest of the site keeps serving, without a restart.
 *
 * How the folder is made unwritable: the tests run as root in CI, where a read-only mode (chmod) does
 * not stop a write. So: (1) a regular file where a folder of UPLOADS_DIR's path should be (ENOTDIR:
 * works for any user, anywhere); (2) a read-only bind mount of the folder (EROFS) and (3) a full tmpfs
 * (ENOSPC), both needing mount(2), i.e. root with CAP_SYS_ADMIN (this machine has it; a default Docker
 * container does not): where mount is refused, those two say so on the console and check nothing.
 */

function mount (args: string[]): { ok: boolean, reason: string } {
  const run = spawnSync('mount', args, { encoding: 'utf8' })
  return { ok: run.status === 0, reason: (run.stderr ?? '') + (run.error?.message ?? '') }
}

function filesUnder (dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort()
}

describe.each(dialects)('uploads into a folder that cannot take them on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-unwritable-'))
  const mounted: string[] = []
  let admin: CreatedUser
  let article: number

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    article = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: admin.id })
  })
  afterAll(() => {
    for (const dir of mounted.reverse()) spawnSync('umount', [dir])
    fs.rmSync(scratch, { recursive: true, force: true })
  })

  /** An app storing into `uploadsDir`, the admin logged in with a token for the upload form. */
  async function appOn (uploadsDir: string): Promise<{ t: TestApp, agent: supertest.Agent, token: string }> {
    const t = await buildTestApp(ctx.db, { env: { UPLOADS_DIR: uploadsDir } })
    const agent = await login(t.agent(), admin.username, admin.password)
    return { t, agent, token: await csrfToken(agent, '/uploads/new') }
  }

  /**
   * Both ways of uploading refused with the 503 and its Chinese reason (the editor's fetch gets JSON, the
   * form without JavaScript the page again), no row stored, and the site (a page that reads the database,
   * the upload form) still answering 200.
   */
  async function expectRefusedAndServing ({ t, agent, token }: { t: TestApp, agent: supertest.Agent, token: string }, picture: Buffer): Promise<void> {
    const rows = await countRows(ctx.db.knex, 'uploads')
    const json = await agent.post('/uploads').set('x-csrf-token', token).set('Accept', 'application/json').attach('file', picture, { filename: 'p.png', contentType: 'image/png' })
    expect([json.status, (json.body as { error?: string }).error]).toEqual([503, uploadMessages.storageUnavailable])
    const page = await agent.post('/uploads').set('x-csrf-token', token).attach('file', picture, { filename: 'p.png', contentType: 'image/png' })
    expect(page.status).toBe(503)
    expect(page.text).toContain(uploadMessages.storageUnavailable)
    expect(page.text).toContain('enctype="multipart/form-data"')
    expect(await countRows(ctx.db.knex, 'uploads')).toBe(rows)
    for (const url of ['/', `/article/${article}`, '/uploads/new']) expect({ url, status: (await agent.get(url)).status }).toEqual({ url, status: 200 })
    await t.app.viewCounts.flush()
  }

  it('a file where the uploads folder should be (ENOTDIR, works as root): 503, no row, the site serves', async () => {
    const blocker = path.join(scratch, 'blocker')
    fs.writeFileSync(blocker, '不是目录')
    const app = await appOn(path.join(blocker, 'uploads'))
    try {
      await expectRefusedAndServing(app, await noisyPng(64, 48))
    } finally {
      await app.t.close()
    }
  })

  it('a read-only bind mount of the uploads folder (EROFS): 503, no row, no file, the site serves', async () => {
    const dir = path.join(scratch, 'readonly')
    fs.mkdirSync(dir)
    const bound = mount(['--bind', dir, dir])
    if (!bound.ok) {
      console.warn(`NOT CHECKED on ${dialect}: read-only uploads folder — mount --bind refused (${bound.reason.trim()}); run as root with CAP_SYS_ADMIN`)
      return
    }
    mounted.push(dir)
    const readonly = mount(['-o', 'remount,bind,ro', dir])
    expect(readonly).toEqual({ ok: true, reason: '' })
    const app = await appOn(dir)
    try {
      await expectRefusedAndServing(app, await noisyPng(64, 48))
      expect(filesUnder(dir)).toEqual([])
    } finally {
      await app.t.close()
    }
  })

  it('a full disk (a 1 MB tmpfs): 503, no row, no part-written file; when space returns the upload is stored', async () => {
    const dir = path.join(scratch, 'full')
    fs.mkdirSync(dir)
    const tmpfs = mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
    if (!tmpfs.ok) {
      console.warn(`NOT CHECKED on ${dialect}: full uploads disk — mount -t tmpfs refused (${tmpfs.reason.trim()}); run as root with CAP_SYS_ADMIN`)
      return
    }
    mounted.push(dir)
    // Filled to the last page, then 16 KB freed: the first copy (a noisy thumbnail, ~110 KB) starts and
    // runs out of space half-way, which must leave no part-written file behind.
    const filler = path.join(dir, 'filler')
    const chunk = Buffer.alloc(4096, 1)
    const fd = fs.openSync(filler, 'w')
    try {
      for (;;) fs.writeSync(fd, chunk)
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
    } finally {
      fs.closeSync(fd)
    }
    fs.truncateSync(filler, fs.statSync(filler).size - 16 * 1024)
    const picture = await noisyPng(320, 240)
    const app = await appOn(dir)
    try {
      await expectRefusedAndServing(app, picture)
      expect(filesUnder(dir)).toEqual(['filler'])

      // Space returns: the same upload is stored, without a restart.
      fs.rmSync(filler)
      const stored = await app.agent.post('/uploads').set('x-csrf-token', app.token).set('Accept', 'application/json').attach('file', picture, { filename: 'p.png', contentType: 'image/png' })
      expect(stored.status).toBe(200)
      expect(await countRows(ctx.db.knex, 'uploads')).toBe(1)
      expect((await app.agent.get((stored.body as { url: string }).url)).status).toBe(200)
    } finally {
      await app.t.close()
    }
  })

  it('an avatar into a folder that cannot take it: 503 with the same reason, the member keeps no half avatar', async () => {
    const blocker = path.join(scratch, 'avatar-blocker')
    fs.writeFileSync(blocker, '不是目录')
    const app = await appOn(path.join(blocker, 'uploads'))
    try {
      const member = await createUser(ctx.db.knex)
      const agent = await login(app.t.agent(), member.username, member.password)
      const token = csrfFrom((await agent.get('/settings/avatar').expect(200)).text)
      const picture = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#3366cc' } }).png().toBuffer()
      // Multipart: the form token rides in the action URL, as on the page's form.
      const res = await agent.post(`/settings/avatar?_csrf=${encodeURIComponent(token)}`).attach('file', picture, { filename: 'a.png', contentType: 'image/png' })
      expect(res.status).toBe(503)
      expect(res.text).toContain(uploadMessages.storageUnavailable)
      expect(await countRows(ctx.db.knex, 'member_avatars', { user_id: member.id })).toBe(0)
    } finally {
      await app.t.close()
    }
  })
})
