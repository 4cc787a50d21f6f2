import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { seedForumDemo } from '../../src/features/forum/demo'
import { BROWSER } from './helpers'

describe.each(dialects)('forum demo seed on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    t = await buildTestApp(db)
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  it('seeds groups, boards (one members-only), threads and replies with consistent counters, once', async () => {
    await expect(seedForumDemo(db.knex)).rejects.toThrow('needs at least one member')
    for (let i = 0; i < 3; i++) await createUser(db.knex)
    expect(await seedForumDemo(db.knex)).toBe(6)
    await db.knex.transaction(async (trx) => { expect(await seedForumDemo(db.knex, trx)).toBe(0) })
    const boards = await db.knex('boards').select<Array<{ is_group: number | boolean, guest_visible: number | boolean, thread_count: number, post_count: number }>>()
    expect(boards.filter((b) => Boolean(b.is_group))).toHaveLength(2)
    expect(boards.filter((b) => !Boolean(b.is_group))).toHaveLength(5)
    expect(boards.filter((b) => !Boolean(b.guest_visible))).toHaveLength(1)
    const posts = Number((await db.knex('posts').count<Array<{ n: number | string }>>({ n: '*' }))[0]?.n)
    expect(boards.reduce((sum, b) => sum + b.post_count, 0)).toBe(posts)
    const userPosts = Number((await db.knex('users').sum<Array<{ n: number | string }>>({ n: 'post_count' }))[0]?.n)
    expect(userPosts).toBe(posts)
    const index = await t.agent().set('User-Agent', BROWSER).get('/forum').expect(200)
    expect(index.text).toContain('吃在濠江')
    expect(index.text).not.toContain('业主之家')
  })
})
