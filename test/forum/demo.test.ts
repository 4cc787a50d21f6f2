import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createUser } from '../helpers/factories'
import { seedForumDemo } from '../../src/features/forum/demo'
import { BROWSER } from './helpers'

describe.each(dialects)('forum demo seed on %s', (dialect) => {
  const ctx = useTestApp(dialect)

  it('seeds groups, boards (one members-only), threads and replies with consistent counters, once', async () => {
    await expect(seedForumDemo(ctx.db.knex)).rejects.toThrow('needs at least one member')
    for (let i = 0; i < 3; i++) await createUser(ctx.db.knex)
    expect(await seedForumDemo(ctx.db.knex)).toBe(6)
    await ctx.db.knex.transaction(async (trx) => { expect(await seedForumDemo(ctx.db.knex, trx)).toBe(0) })
    const boards = await ctx.db.knex('boards').select<Array<{ is_group: number | boolean, guest_visible: number | boolean, thread_count: number, post_count: number }>>()
    expect(boards.filter((b) => Boolean(b.is_group))).toHaveLength(2)
    expect(boards.filter((b) => !Boolean(b.is_group))).toHaveLength(5)
    expect(boards.filter((b) => !Boolean(b.guest_visible))).toHaveLength(1)
    const posts = await countRows(ctx.db.knex, 'posts')
    expect(boards.reduce((sum, b) => sum + b.post_count, 0)).toBe(posts)
    const userPosts = Number((await ctx.db.knex('users').sum<Array<{ n: number | string }>>({ n: 'post_count' }))[0]?.n)
    expect(userPosts).toBe(posts)
    const index = await ctx.t.agent().set('User-Agent', BROWSER).get('/forum').expect(200)
    expect(index.text).toContain('吃在濠江')
    expect(index.text).not.toContain('业主之家')
  })
})
