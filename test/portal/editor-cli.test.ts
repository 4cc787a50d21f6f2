import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { databaseUrl } from '../helpers/app'
import { createCategory, createUser } from '../helpers/factories'

const ROOT = path.join(__dirname, '..', '..')

/** `npm run cli -- …` as an owner runs it (tsx scripts/cli.ts), against the test database. */
function cli (db: TestDatabase, args: string[]): { status: number | null, stdout: string, stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl(db), BCRYPT_COST: '4' },
    encoding: 'utf8',
    timeout: 60_000
  })
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

describe.each(dialects)('editor:grant / editor:revoke / user:role editor on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })

  it('grants by category id or name (a member becomes an editor), once, and revokes', async () => {
    const k = ctx.db.knex
    const news = await createCategory(k, { name: '新闻' })
    const member = await createUser(k, { username: 'xiaowang' })
    const byName = cli(ctx.db, ['editor:grant', '--username', 'XiaoWang', '--category', '新闻'])
    expect(byName.stderr).toBe('')
    expect(byName.stdout).toContain('may now publish in "新闻"')
    expect((await k('users').where({ id: member.id }).first('role')).role).toBe('editor')
    expect(cli(ctx.db, ['editor:grant', '--username', 'xiaowang', '--category', String(news)]).stdout).toContain('could already publish')
    expect(await k('category_editors').where({ user_id: member.id }).count({ n: '*' }).first()).toEqual({ n: 1 })
    expect(cli(ctx.db, ['editor:grant', '--username', 'xiaowang', '--category', '没有']).status).toBe(1)
    expect(cli(ctx.db, ['editor:revoke', '--username', 'xiaowang', '--category', String(news)]).stdout).toContain('may no longer publish')
    expect(await k('category_editors').where({ user_id: member.id }).count({ n: '*' }).first()).toEqual({ n: 0 })
    const role = cli(ctx.db, ['user:role', '--username', 'xiaowang', '--role', 'editor'])
    expect(role.stdout).toContain('is now editor')
  }, 120_000)
})
