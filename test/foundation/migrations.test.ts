import { migrationConfig } from '../../src/db/knex'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'

const CORE_TABLES = ['settings', 'users', 'sessions', 'login_attempts', 'categories', 'articles']

describe.each(dialects)('migrations on %s', (dialect) => {
  // Start unmigrated so that `latest` really runs every `up` from nothing.
  const ctx = useTestApp(dialect, { app: false, migrate: false })

  async function existingTables (): Promise<string[]> {
    const present: string[] = []
    for (const table of CORE_TABLES) if (await ctx.db.knex.schema.hasTable(table)) present.push(table)
    return present
  }

  it('runs latest, rolls every migration back, and runs latest again', async () => {
    expect(await existingTables()).toEqual([])
    const [, firstFiles] = await ctx.db.knex.migrate.latest(migrationConfig) as [number, string[]]
    expect(firstFiles.length).toBeGreaterThan(0)
    expect(await existingTables()).toEqual(CORE_TABLES)

    const [, rolledBack] = await ctx.db.knex.migrate.rollback(migrationConfig, true) as [number, string[]]
    expect(rolledBack.length).toBe(firstFiles.length)
    expect(await existingTables()).toEqual([])

    await ctx.db.knex.migrate.latest(migrationConfig)
    expect(await existingTables()).toEqual(CORE_TABLES)
    const [, pending] = await ctx.db.knex.migrate.list(migrationConfig) as [unknown[], unknown[]]
    expect(pending).toEqual([])
  })
})

describe.each(dialects)('upgrading a site with content on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false, migrate: false })

  /**
   * A site made by the first migrations (as the previous release left it) keeps its members, articles,
   * comments and reactions through every later migration. On SQLite, Knex adds a foreign key to an
   * existing table by rebuilding it, and dropping the old `articles` inside the migration's transaction
   * cascaded to every comment and reaction of the site (found on a benchmark copy: 10,000 comments gone).
   */
  it('keeps every comment and reaction through the migrations since the first release', async () => {
    const knex = ctx.db.knex
    const [, pending] = await knex.migrate.list(migrationConfig) as [unknown[], Array<{ file: string }>]
    const firstRelease = pending.filter((m) => m.file < '20261130').length
    for (let i = 0; i < firstRelease; i++) await knex.migrate.up(migrationConfig)
    const [uid] = await knex('users').insert({ username: '老会员', username_key: '老会员', email: 'old@example.com', email_key: 'old@example.com', password_hash: 'x', role: 'member', created_at: 1 })
    const [cid] = await knex('categories').insert({ name: '本地新闻', display_order: 1 })
    const [aid] = await knex('articles').insert({ category_id: Number(cid), author_id: Number(uid), title: '旧文章', summary: '', body: '正文', published_at: 1, updated_at: 1, comment_count: 1, react_xianhua: 1 })
    await knex('comments').insert({ article_id: Number(aid), author_id: Number(uid), status: 'visible', body: '旧评论', created_at: 1 })
    await knex('reactions').insert({ article_id: Number(aid), user_id: Number(uid), kind: 'xianhua', created_at: 1 })

    await knex.migrate.latest(migrationConfig)
    const count = async (table: string): Promise<number> => Number((await knex(table).count<Array<{ n: number | string }>>({ n: '*' }).first())?.n ?? 0)
    expect([await count('users'), await count('articles'), await count('comments'), await count('reactions')]).toEqual([1, 1, 1, 1])
    // The comment got its place in the article's list (issue #19's backfill), so it shows on page 1.
    expect(Number((await knex('comments').first<{ list_position: number }>('list_position'))?.list_position)).toBe(1)
  })
})
