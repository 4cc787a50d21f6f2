import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import type { Knex } from 'knex'
import { seedDemo } from '../../src/seeds/demo'
import { backupCommands } from '../../src/cli/backup'
import { parentsFirst } from '../../src/db/backup'
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, LOCAL_CLIENTS_UNLIMITED, testConfig, type TestApp } from '../helpers/app'
import { banUser, createUser } from '../helpers/factories'

/** Rows per table, our tables only (sessions and the live process list are not backed up). */
async function tableCounts (knex: Knex): Promise<Record<string, number>> {
  const isMysql = knex.client.config.client === 'mysql2'
  const names: string[] = isMysql
    ? ((await knex.raw("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")) as [Array<{ name: string }>])[0].map((r) => r.name)
    : (await knex.raw<Array<{ name: string }>>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name)
  const out: Record<string, number> = {}
  // SQLite's FTS5 index is rebuilt from search_documents on restore: its rows (search_fts, docsize) are
  // compared, not its b-tree pages (search_fts_data, search_fts_idx), which a rebuild lays out afresh.
  const internal = ['sessions', 'app_processes', 'knex_migrations_lock', 'search_fts_data', 'search_fts_idx']
  for (const name of names.filter((n) => !internal.includes(n)).sort()) {
    out[name] = Number((await knex(name).count<Array<{ n: number | string }>>({ n: '*' }).first())?.n ?? 0)
  }
  return out
}

async function run (command: 'backup' | 'restore', knex: Knex, config: TestApp['config'], file: string, force = false): Promise<number> {
  const c = backupCommands[command]
  if (c === undefined) throw new Error(`no ${command} command`)
  return await c.run({ knex, config, flags: force ? { force: true } : {}, args: [file] })
}

describe('parentsFirst', () => {
  it('puts every table after the tables its keys point to, ignoring self-references', () => {
    const order = parentsFirst(['posts', 'threads', 'boards', 'users', 'categories'], [
      { table: 'posts', column: 'thread_id', refTable: 'threads', refColumn: 'id' },
      { table: 'threads', column: 'board_id', refTable: 'boards', refColumn: 'id' },
      { table: 'threads', column: 'author_id', refTable: 'users', refColumn: 'id' },
      { table: 'boards', column: 'parent_id', refTable: 'boards', refColumn: 'id' },
      { table: 'categories', column: 'parent_id', refTable: 'categories', refColumn: 'id' }
    ])
    expect(order.indexOf('boards')).toBeLessThan(order.indexOf('threads'))
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('threads'))
    expect(order.indexOf('threads')).toBeLessThan(order.indexOf('posts'))
    expect([...order].sort()).toEqual(['boards', 'categories', 'posts', 'threads', 'users'])
  })
})

describe.each(dialects)('npm run cli -- backup / restore on %s', (dialect) => {
  const ctx = useTestApp(dialect, {
    app: { env: LOCAL_CLIENTS_UNLIMITED },
    seed: async (db) => {
      await seedDemo(db.knex, testConfig(db))
      // Someone in the 小黑屋, so the darkroom page has a row to compare.
      const spammer = await createUser(db.knex, { username: 'spam_bot_1' })
      await banUser(db.knex, spammer.id, { type: 'post', until: null, reason: '发广告' })
    }
  })
  let dir: string
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-backup-')) })
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  it('a site restored from its backup serves the same article, thread, darkroom and index pages with the same counts', async () => {
    const knex = ctx.db.knex
    // A category moved under a newer one: its parent's id is higher, so rows cannot simply go in id order.
    const [newer] = await knex('categories').insert({ name: '后来的频道', parent_id: null, display_order: 99 })
    const older = await knex('categories').orderBy('id').first<{ id: number }>('id')
    await knex('categories').where({ id: older.id }).update({ parent_id: Number(newer) })
    const article = await knex('articles').where({ status: 'published' }).orderBy('id').first<{ id: number }>('id')
    const thread = await knex('threads').where({ status: 'visible' }).orderBy('id').first<{ id: number }>('id')
    const pages = ['/', `/article/${article.id}`, `/thread/${thread.id}`, '/darkroom', '/forum', `/category/${older.id}`]
    // Each app listens on its own port, which absolute links (og:url) carry.
    const html = (text: string): string => text.replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://HOST')
    const before: string[] = []
    for (const url of pages) before.push(html((await ctx.t.agent().get(url).expect(200)).text))
    const counts = await tableCounts(knex)
    expect(counts.articles).toBeGreaterThan(0)
    expect(counts.posts).toBeGreaterThan(0)

    const file = path.join(dir, dialect === 'sqlite' ? 'site.sqlite3' : 'site.jsonl.gz')
    expect(await run('backup', knex, ctx.t.config, file)).toBe(0)
    expect(fs.existsSync(`${file}.part`)).toBe(false)
    const head = fs.readFileSync(file).subarray(0, 16)
    if (dialect === 'sqlite') {
      expect(head.toString('latin1')).toBe('SQLite format 3\0')
    } else {
      const first = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n')[0] ?? ''
      const header = JSON.parse(first) as { format: string, migrations: string[], tables: string[] }
      expect(header.format).toBe('luntan-backup')
      expect(header.migrations.length).toBeGreaterThan(10)
      expect(header.tables.indexOf('users')).toBeLessThan(header.tables.indexOf('posts'))
      expect(header.tables).not.toContain('sessions')
    }

    const target: TestDatabase = await createTestDatabase(dialect, { migrate: false })
    let restored: TestApp | undefined
    try {
      expect(await run('restore', target.knex, ctx.t.config, file)).toBe(0)
      expect(await tableCounts(target.knex)).toEqual(counts)
      restored = await buildTestApp(target, { clock: ctx.t.clock, env: LOCAL_CLIENTS_UNLIMITED })
      for (const [i, url] of pages.entries()) {
        const page = html((await restored.agent().get(url).expect(200)).text)
        expect([url, page]).toEqual([url, before[i]])
      }

      // A second restore into the now non-empty database is refused and changes nothing; --force replaces it.
      await target.knex('articles').where({ id: article.id }).update({ title: '恢复后改过的标题' })
      expect(await run('restore', target.knex, ctx.t.config, file)).toBe(1)
      expect((await target.knex('articles').where({ id: article.id }).first<{ title: string }>('title')).title).toBe('恢复后改过的标题')
      expect(await run('restore', target.knex, ctx.t.config, file, true)).toBe(0)
      expect((await target.knex('articles').where({ id: article.id }).first<{ title: string }>('title')).title).not.toBe('恢复后改过的标题')
      expect(await tableCounts(target.knex)).toEqual(counts)
    } finally {
      await restored?.close()
      await target.destroy()
    }
  })

  it('refuses a file that is not a backup, and a cut-off one, leaving an empty database empty of members', async () => {
    const junk = path.join(dir, 'junk.gz')
    fs.writeFileSync(junk, zlib.gzipSync('{"hello":1}\n'))
    const target = await createTestDatabase(dialect, { migrate: false })
    try {
      expect(await run('restore', target.knex, ctx.t.config, junk)).toBe(1)
      expect(await run('restore', target.knex, ctx.t.config, path.join(dir, 'missing.gz'))).toBe(1)
      if (dialect === 'mysql') {
        const file = path.join(dir, 'cut.jsonl.gz')
        expect(await run('backup', ctx.db.knex, ctx.t.config, file)).toBe(0)
        const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trimEnd().split('\n')
        fs.writeFileSync(file, zlib.gzipSync(lines.slice(0, -1).join('\n') + '\n')) // no end line
        expect(await run('restore', target.knex, ctx.t.config, file)).toBe(1)
        expect(Number((await target.knex('users').count<Array<{ n: number | string }>>({ n: '*' }).first())?.n)).toBe(0)
      }
    } finally {
      await target.destroy()
    }
  })
})
