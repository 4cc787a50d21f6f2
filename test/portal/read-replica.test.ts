import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, login, type TestApp } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

describe.each(dialects)('DATABASE_READ_URL on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp
  let articleId: number
  let member: { username: string, password: string }

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    // The "replica" is a second connection to the same database, as the issue suggests for tests.
    const readUrl = db.config.client === 'sqlite' ? `sqlite:${db.config.filename}` : db.config.url
    // View counts are flushed (an UPDATE of articles on the primary) by hand only: the 500 ms timer could
    // fire between the guest's requests below and was this test's flake.
    t = await buildTestApp(db, { env: { DATABASE_READ_URL: readUrl }, viewFlushIntervalMs: 3_600_000 })
    const author = await createUser(db.knex)
    member = await createUser(db.knex)
    articleId = await createArticle(db.knex, { categoryId: await createCategory(db.knex), authorId: author.id })
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  it('reads guest pages from the replica and member pages from the primary', async () => {
    expect(t.app.dbRead).not.toBe(t.app.db)
    const primary: string[] = []
    const replica: string[] = []
    t.app.db.on('query', (q: { sql: string }) => { primary.push(q.sql) })
    t.app.dbRead.on('query', (q: { sql: string }) => { replica.push(q.sql) })

    await t.agent().get(`/article/${articleId}`).set('User-Agent', 'Mozilla/5.0 Guest').expect(200)
    await t.agent().get('/').set('User-Agent', 'Mozilla/5.0 Guest').expect(200)
    expect(replica.some((sql) => sql.includes('articles'))).toBe(true)
    expect(primary.some((sql) => sql.includes('articles'))).toBe(false)

    const agent = t.agent().set('User-Agent', 'Mozilla/5.0 Member')
    await login(agent, member.username, member.password)
    primary.length = 0
    replica.length = 0
    await agent.get(`/article/${articleId}`).expect(200)
    expect(primary.some((sql) => sql.includes('articles'))).toBe(true)
    expect(replica.some((sql) => sql.includes('articles'))).toBe(false)
  })
})
