import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, csrfFrom, type TestApp } from '../helpers/app'
import { memberCommands } from '../../src/features/members/cli'
import { usernameSkeleton } from '../../src/lib/username-skeleton'
import { postRegister } from './_helpers'

describe('usernameSkeleton', () => {
  it('gives look-alikes one key', () => {
    expect(usernameSkeleton('admin')).toBe('adrnin')
    expect(usernameSkeleton('аdmin')).toBe('adrnin') // Cyrillic а
    expect(usernameSkeleton('ａｄｍｉｎ')).toBe('adrnin') // full width
    expect(usernameSkeleton('ADMIN')).toBe('adrnin')
    expect(usernameSkeleton('张三丰')).toBe('张三丰')
  })
})

describe.each(dialects)('look-alike usernames on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp
  beforeAll(async () => { db = await createTestDatabase(dialect) })
  beforeEach(async () => { t = await buildTestApp(db) })
  afterEach(async () => { await t?.close() })
  afterAll(async () => { await db?.destroy() })

  const countUsers = async (): Promise<number> => Number((await db.knex('users').count({ n: '*' }).first())?.n)

  it('refuses names that look like an existing one, with a Chinese message', async () => {
    expect((await postRegister(t.agent(), { username: 'admin', password: 'secret-pass-1' })).status).toBe(303)
    const before = await countUsers()
    // Full width is the same name once normalized (NFKC).
    const fullWidth = await postRegister(t.agent(), { username: 'ａｄｍｉｎ' })
    expect(fullWidth.status).toBe(400)
    expect(fullWidth.text).toContain('该用户名已被注册')
    for (const name of ['аdmin', 'adrnin', 'АDMIN']) {
      const res = await postRegister(t.agent(), { username: name })
      expect([name, res.status]).toEqual([name, 400])
      expect(res.text).toContain('该用户名与已有用户名过于相似')
    }
    expect(await countUsers()).toBe(before)
    expect((await db.knex('users').where({ username: 'admin' }).first()).username_skeleton).toBe('adrnin')
  })

  it('stores the NFKC name and finds it by a full-width login', async () => {
    expect((await postRegister(t.agent(), { username: 'Ｗａｎｇ５', password: 'secret-pass-1' })).status).toBe(303)
    expect(await db.knex('users').where({ username: 'Wang5' }).first()).toBeDefined()
    const a = t.agent()
    const page = await a.get('/login')
    const res = await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'ｗａｎｇ５', password: 'secret-pass-1' })
    expect(res.status).toBe(303)
  })

  it('lets only one of two look-alikes registered at once in (the unique skeleton)', async () => {
    const results = await Promise.all(['bob_x', 'bоb_x'].map(async (username) => await postRegister(t.agent(), { username })))
    expect(results.map((r) => r.status).sort()).toEqual([303, 400])
    expect(results.find((r) => r.status === 400)?.text).toMatch(/该用户名与已有用户名过于相似|该用户名已被注册/)
    expect(Number((await db.knex('users').where({ username_skeleton: usernameSkeleton('bob_x') }).count({ n: '*' }).first())?.n)).toBe(1)
  })

  it('CLI user:create follows the same rule', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => {})
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const ctx = (flags: Record<string, string>) => ({ knex: db.knex, config: t.config, flags })
      expect(await memberCommands['user:create']!.run(ctx({ username: 'pаypal', password: 'secret-pass-1' }))).toBe(0)
      expect(await memberCommands['user:create']!.run(ctx({ username: 'paypal', password: 'secret-pass-1' }))).toBe(1)
      expect(err.mock.calls.flat().join(' ')).toContain('该用户名与已有用户名过于相似')
    } finally {
      err.mockRestore()
      log.mockRestore()
    }
  })
})

describe.each(dialects)('the username_skeleton migration on %s', (dialect) => {
  let db: TestDatabase
  beforeAll(async () => { db = await createTestDatabase(dialect) })
  afterAll(async () => { await db?.destroy() })

  it('backfills existing names, leaving older look-alikes without a key', async () => {
    const { migrationConfig } = await import('../../src/db/knex')
    // Back to just before this migration (later ones undone first), rows added, then forward again.
    const undone: string[] = []
    while (!undone.includes('20261130000000_add_username_skeleton.ts')) {
      const [, files] = await db.knex.migrate.down(migrationConfig) as [number, string[]]
      expect(files.length).toBe(1)
      undone.push(...files.map((f) => f.replace(/^.*\//, '')))
    }
    for (const [i, username] of ['admin', 'аdmin', '张三'].entries()) {
      await db.knex('users').insert({ username, username_key: username.toLowerCase(), email: `m${i}@example.com`, email_key: `m${i}@example.com`, password_hash: 'x', role: 'member', created_at: 1 })
    }
    await db.knex.migrate.latest(migrationConfig)
    const rows: Array<{ username: string, username_skeleton: string | null }> = await db.knex('users').orderBy('id').select('username', 'username_skeleton')
    expect(rows.map((r) => r.username_skeleton)).toEqual(['adrnin', null, '张三'])
  })
})
