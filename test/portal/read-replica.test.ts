import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { databaseUrl, login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

describe.each(dialects)('DATABASE_READ_URL on %s', (dialect) => {
  // The "replica" is a second connection to the same database, as the issue suggests for tests.
  const ctx = useTestApp(dialect, { app: (db) => ({ env: { DATABASE_READ_URL: databaseUrl(db) } }) })
  let articleId: number
  let member: { username: string, password: string }

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    member = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id })
  })

  it('reads guest pages from the replica and member pages from the primary', async () => {
    expect(ctx.t.app.dbRead).not.toBe(ctx.t.app.db)
    const primary: string[] = []
    const replica: string[] = []
    ctx.t.app.db.on('query', (q: { sql: string }) => { primary.push(q.sql) })
    ctx.t.app.dbRead.on('query', (q: { sql: string }) => { replica.push(q.sql) })

    await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', 'Mozilla/5.0 Guest').expect(200)
    await ctx.t.agent().get('/').set('User-Agent', 'Mozilla/5.0 Guest').expect(200)
    expect(replica.some((sql) => sql.includes('articles'))).toBe(true)
    expect(primary.some((sql) => sql.includes('articles'))).toBe(false)

    const agent = ctx.t.agent().set('User-Agent', 'Mozilla/5.0 Member')
    await login(agent, member.username, member.password)
    primary.length = 0
    replica.length = 0
    await agent.get(`/article/${articleId}`).expect(200)
    expect(primary.some((sql) => sql.includes('articles'))).toBe(true)
    expect(replica.some((sql) => sql.includes('articles'))).toBe(false)
  })
})
