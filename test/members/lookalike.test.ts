import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom } from '../helpers/app'
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
  const ctx = useTestApp(dialect, { perTest: true })

  const countUsers = async (): Promise<number> => await countRows(ctx.db.knex, 'users')

  it('refuses names that look like an existing one, with a Chinese message', async () => {
    expect((await postRegister(ctx.t.agent(), { username: 'admin', password: 'secret-pass-1' })).status).toBe(303)
    const before = await countUsers()
    // Full width is the same name once normalized (NFKC).
    const fullWidth = await postRegister(ctx.t.agent(), { username: 'ａｄｍｉｎ' })
    expect(fullWidth.status).toBe(400)
    expect(fullWidth.text).toContain('该用户名已被注册')
    for (const name of ['аdmin', 'adrnin', 'АDMIN']) {
      const res = await postRegister(ctx.t.agent(), { username: name })
      expect([name, res.status]).toEqual([name, 400])
      expect(res.text).toContain('该用户名与已有用户名过于相似')
    }
    expect(await countUsers()).toBe(before)
    expect((await ctx.db.knex('users').where({ username: 'admin' }).first()).username_skeleton).toBe('adrnin')
  })

  it('stores the NFKC name and finds it by a full-width login', async () => {
    expect((await postRegister(ctx.t.agent(), { username: 'Ｗａｎｇ５', password: 'secret-pass-1' })).status).toBe(303)
    expect(await ctx.db.knex('users').where({ username: 'Wang5' }).first()).toBeDefined()
    const a = ctx.t.agent()
    const page = await a.get('/login')
    const res = await a.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login: 'ｗａｎｇ５', password: 'secret-pass-1' })
    expect(res.status).toBe(303)
  })

  it('lets only one of two look-alikes registered at once in (the unique skeleton)', async () => {
    const results = await Promise.all(['bob_x', 'bоb_x'].map(async (username) => await postRegister(ctx.t.agent(), { username })))
    expect(results.map((r) => r.status).sort()).toEqual([303, 400])
    expect(results.find((r) => r.status === 400)?.text).toMatch(/该用户名与已有用户名过于相似|该用户名已被注册/)
    expect(await countRows(ctx.db.knex, 'users', { username_skeleton: usernameSkeleton('bob_x') })).toBe(1)
  })

  it('CLI user:create follows the same rule', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => {})
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const cliRun = (flags: Record<string, string>) => ({ knex: ctx.db.knex, config: ctx.t.config, flags })
      expect(await memberCommands['user:create']!.run(cliRun({ username: 'pаypal', password: 'secret-pass-1' }))).toBe(0)
      expect(await memberCommands['user:create']!.run(cliRun({ username: 'paypal', password: 'secret-pass-1' }))).toBe(1)
      expect(err.mock.calls.flat().join(' ')).toContain('该用户名与已有用户名过于相似')
    } finally {
      err.mockRestore()
      log.mockRestore()
    }
  })
})

describe.each(dialects)('the username_skeleton migration on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })

  it('backfills existing names, leaving older look-alikes without a key', async () => {
    const { migrationConfig } = await import('../../src/db/knex')
    // Back to just before this migration (later ones undone first), rows added, then forward again.
    const undone: string[] = []
    while (!undone.includes('20261130000000_add_username_skeleton.ts')) {
      const [, files] = await ctx.db.knex.migrate.down(migrationConfig) as [number, string[]]
      expect(files.length).toBe(1)
      undone.push(...files.map((f) => f.replace(/^.*\//, '')))
    }
    for (const [i, username] of ['admin', 'аdmin', '张三'].entries()) {
      await ctx.db.knex('users').insert({ username, username_key: username.toLowerCase(), email: `m${i}@example.com`, email_key: `m${i}@example.com`, password_hash: 'x', role: 'member', created_at: 1 })
    }
    await ctx.db.knex.migrate.latest(migrationConfig)
    const rows: Array<{ username: string, username_skeleton: string | null }> = await ctx.db.knex('users').orderBy('id').select('username', 'username_skeleton')
    expect(rows.map((r) => r.username_skeleton)).toEqual(['adrnin', null, '张三'])
  })
})
