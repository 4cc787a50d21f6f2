import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { countRows, dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { databaseUrl } from '../helpers/app'

const ROOT = path.join(__dirname, '..', '..')

/** Runs `npm run cli -- …` as an owner would (tsx scripts/cli.ts), against the test database. */
function cli (db: TestDatabase, args: string[]): { status: number | null, stdout: string, stderr: string } {
  const url = databaseUrl(db)
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url, BCRYPT_COST: '4' },
    encoding: 'utf8',
    timeout: 60_000
  })
  return { status: res.status, stdout: res.stdout, stderr: res.stderr }
}

describe.each(dialects)('npm run cli on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })

  it('creates a member with the form rules, and refuses an undeclared flag before doing anything', async () => {
    const created = cli(ctx.db, ['user:create', '--username', '编辑小王', '--password', 'a-long-password', '--role', 'moderator'])
    expect(created.stderr).toBe('')
    expect(created.stdout).toContain('created moderator "编辑小王"')
    expect(await countRows(ctx.db.knex, 'users')).toBe(1)

    const refused = cli(ctx.db, ['user:create', '--username', 'second', '--password', 'a-long-password', '--rol', 'admin'])
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain("Unknown option '--rol'")
    expect(await countRows(ctx.db.knex, 'users')).toBe(1)

    const missingValue = cli(ctx.db, ['user:role', '--username'])
    expect(missingValue.status).not.toBe(0)
    expect(missingValue.stderr).toContain('--username')
  }, 90_000)

  it('seed:bulk runs every feature generator given to it (comments, bans, forum) and counters match', async () => {
    const res = cli(ctx.db, ['seed:bulk', '--members', '20', '--articles', '10', '--comments', '40', '--threads', '4', '--posts', '12', '--bans', '2'])
    expect(res.status).toBe(0)
    expect(await countRows(ctx.db.knex, 'comments')).toBe(40)
    expect(await countRows(ctx.db.knex, 'bans')).toBe(2)
    expect(await countRows(ctx.db.knex, 'threads')).toBe(4)
    const drift = cli(ctx.db, ['comments:reconcile', '--dry-run'])
    expect(drift.stdout).toContain('no drift')
  }, 90_000)

  it('refuses migrate:rollback without --yes', () => {
    const res = cli(ctx.db, ['migrate:rollback'])
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('--yes')
  }, 60_000)
})
