import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createKnex, migrationConfig } from '../../src/db/knex'
import { buildTestApp, csrfFrom, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import type { TestDatabase } from '../helpers/database'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { BROWSER } from '../helpers/server-process'

/**
 * The database's own disk full (issue 24, faults): a SQLite file on a small tmpfs, then the tmpfs filled.
 * Pages keep being served, a write is answered with the Chinese 503 page (not a 500) and leaves nothing
 * half-stored, the views served meanwhile are kept in memory, and when space returns they are written
 * and writes work again, without a restart. Needs mount(2) (root with CAP_SYS_ADMIN, as on this
 * machine and CI); where it is refused the test says NOT CHECKED and checks nothing. MariaDB's disk is
 * the shared server's and is not filled here.
 */
describe('the SQLite database on a full disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-full-db-'))
  let mounted = false
  afterAll(() => {
    if (mounted) spawnSync('umount', ['-l', dir])
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('serves pages, refuses writes with the 503 page, keeps the views, and writes them when space returns', async () => {
    const tmpfs = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { encoding: 'utf8' })
    if (tmpfs.status !== 0) {
      console.warn(`NOT CHECKED: full database disk — mount -t tmpfs refused (${tmpfs.stderr.trim()}); run as root with CAP_SYS_ADMIN`)
      return
    }
    mounted = true
    const filename = path.join(dir, 'luntan.sqlite3')
    const config = { client: 'sqlite' as const, filename }
    const knex = createKnex(config)
    await knex.migrate.latest(migrationConfig)
    // Every page view counts (no dedupe), so the views written afterwards can be compared exactly.
    await knex('settings').insert({ key: 'view_dedupe_hours', value: '0' }).onConflict('key').merge()
    const db: TestDatabase = { dialect: 'sqlite', config, knex, connect: () => createKnex(config), destroy: async () => { await knex.destroy() } }
    const t = await buildTestApp(db, { env: LOCAL_CLIENTS_UNLIMITED })
    try {
      const author = await createUser(knex, { role: 'admin' })
      const member = await createUser(knex, {})
      const categoryId = await createCategory(knex, { name: '满盘' })
      const articleId = await createArticle(knex, { categoryId, authorId: author.id, title: '磁盘满了', body: '正文' })
      const agent = await login(t.agent(), member.username, member.password)
      await t.app.viewCounts.flush()
      const viewsBefore = Number((await knex('articles').where({ id: articleId }).first<{ views: number }>('views')).views)

      // Fill the disk: a file as large as the space left (then smaller ones, to the last block).
      const filler = path.join(dir, 'filler')
      for (const size of [4 << 20, 1 << 20, 64 << 10, 4 << 10]) {
        for (;;) {
          try { fs.appendFileSync(filler, Buffer.alloc(size)) } catch { break }
        }
      }

      // Reading goes on; each page view is counted in memory.
      const served = 5
      for (let i = 0; i < served; i++) expect((await t.agent().get(`/article/${articleId}`).set('User-Agent', BROWSER)).status).toBe(200)
      // A flush while the disk is full: it may fail for want of space (its increments are then put back),
      // or succeed in space the database file and its WAL already hold; either way nothing is lost.
      await t.app.viewCounts.flush().catch(() => {})
      // A comment: the Chinese 503 page, and no row.
      const page = await agent.get(`/article/${articleId}`).set('User-Agent', BROWSER)
      const refused = await agent.post(`/article/${articleId}/comments`).type('form').send({ _csrf: csrfFrom(page.text), message: '磁盘满的时候发的评论' })
      expect(refused.status).toBe(503)
      expect(refused.headers['retry-after']).toBeDefined()
      expect(refused.text).toContain('请稍后再试')
      expect(refused.text).not.toMatch(/SQLITE_FULL|at .*\.ts:\d+/)

      // Space returns: the kept views are written, and writing works again, without a restart.
      fs.rmSync(filler)
      await t.app.viewCounts.flush()
      const viewsAfter = Number((await knex('articles').where({ id: articleId }).first<{ views: number }>('views')).views)
      expect(viewsAfter - viewsBefore).toBe(served + 1)
      expect(await knex('comments').where({ body: '磁盘满的时候发的评论' }).count<Array<{ n: number }>>({ n: '*' }).then((r) => Number(r[0]?.n))).toBe(0)
      const again = await agent.get(`/article/${articleId}`)
      const accepted = await agent.post(`/article/${articleId}/comments`).type('form').send({ _csrf: csrfFrom(again.text), message: '空间回来以后的评论' })
      expect([201, 303]).toContain(accepted.status)
      const check = await knex.raw<Array<{ integrity_check: string }>>('PRAGMA integrity_check')
      expect(check[0]?.integrity_check).toBe('ok')
    } finally {
      await t.close()
      await db.destroy()
    }
  })
})
