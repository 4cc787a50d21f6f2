import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { postThread } from '../forum/helpers'
import { postBan } from '../moderation/helpers'

const ua = (n: number | string): string => `Mozilla/5.0 (Reader ${n}) Firefox/120.0`

describe.each(dialects)('guest article micro-cache and query budget on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000, viewFlushIntervalMs: 3_600_000 } })
  let articleId: number
  let member: { username: string, password: string }
  const queries: string[] = []

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    member = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, views: 10 })
    ctx.db.knex.on('query', (q: { sql: string }) => { queries.push(q.sql) })
  })

  const viewsShown = (html: string): number => Number(/id="view-count">(\d+)</.exec(html)?.[1])

  it('serves a warm guest article page within the query budget (at most 3 queries) and still counts every view', async () => {
    await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua(0)).expect(200)
    queries.length = 0
    const second = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua(1)).expect(200)
    expect(queries.length).toBeLessThanOrEqual(3)
    expect(viewsShown(second.text)).toBe(12)
    const third = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua(2)).expect(200)
    expect(viewsShown(third.text)).toBe(13)
    await ctx.t.app.viewCounts.flush()
    const row = await ctx.db.knex('articles').where({ id: articleId }).first<{ views: number }>('views')
    expect(Number(row?.views)).toBe(13)
  })

  it('renders personal pages for members and fresh pages after the cache expires', async () => {
    await ctx.db.knex('articles').where({ id: articleId }).update({ title: '标题已修改' })
    const guest = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua(3)).expect(200)
    expect(guest.text).not.toContain('标题已修改') // still the cached copy within the second
    const agent = ctx.t.agent().set('User-Agent', ua('member'))
    await login(agent, member.username, member.password)
    const mine = await agent.get(`/article/${articleId}`).expect(200)
    expect(mine.text).toContain(`>${member.username}</a>`) // their own header, never a guest's cached copy
    ctx.t.clock.advance(2)
    const later = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua(4)).expect(200)
    expect(later.text).toContain('标题已修改')
  })
})

describe.each(dialects)('the guest page cache answers before the session on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000, viewFlushIntervalMs: 3_600_000 } })

  const CRAWLER = 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)'
  let articleId: number
  let threadId: number

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: author.id, views: 100 })
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const poster = ctx.t.agent().set('User-Agent', ua('poster'))
    await login(poster, author.username, author.password)
    threadId = await postThread(ctx.t, poster, boardId, '缓存测试主题')
    ctx.t.clock.advance(5)
  })

  const viewsShown = (html: string): number => Number(/id="view-count">(\d+)</.exec(html)?.[1])
  const sessionRows = async (): Promise<number> => await countRows(ctx.db.knex, 'sessions')

  it('serves a warm article to cookieless guests with the security headers, no session, and every view counted', async () => {
    const first = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('a0')).expect(200)
    const sessionsBefore = await sessionRows()
    const frontDoorBefore = ctx.t.app.guestPages.answered.beforeFastify
    const hit = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('a1')).set('Accept-Encoding', 'identity').expect(200)
    expect(ctx.t.app.guestPages.answered.beforeFastify).toBe(frontDoorBefore + 1) // answered before Fastify
    expect(Number(hit.headers['content-length'])).toBe(Buffer.byteLength(hit.text))
    expect(hit.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(hit.headers['set-cookie']).toBeUndefined()
    expect(hit.headers['content-security-policy']).toContain("default-src 'self'")
    expect(hit.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(viewsShown(hit.text)).toBe(viewsShown(first.text) + 1)
    const head = await ctx.t.agent().head(`/article/${articleId}`).set('User-Agent', ua('a2')).set('Accept-Encoding', 'identity').expect(200) // HEAD is not a view
    expect(head.text).toBeUndefined()
    expect(Number(head.headers['content-length'])).toBe(Number(hit.headers['content-length']))
    const next = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('a3')).expect(200)
    expect(viewsShown(next.text)).toBe(viewsShown(first.text) + 2)
    expect(await sessionRows()).toBe(sessionsBefore)
    await ctx.t.app.viewCounts.flush()
    const row = await ctx.db.knex('articles').where({ id: articleId }).first<{ views: number }>('views')
    expect(Number(row?.views)).toBe(viewsShown(next.text))
  })

  it('passes a cached hit to Fastify when its view count fails at the front door, and the page still counts the view', async () => {
    const first = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('f0')).expect(200)
    const counts = ctx.t.app.viewCounts
    const countGuestView = counts.countGuestView
    counts.countGuestView = async () => { throw new Error('settings unreadable') }
    const inFastifyBefore = ctx.t.app.guestPages.answered.inFastify
    try {
      const hit = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('f1')).expect(200)
      expect(viewsShown(hit.text)).toBe(viewsShown(first.text) + 1)
      expect(ctx.t.app.guestPages.answered.inFastify).toBe(inFastifyBefore + 1) // Fastify's hook served the copy
    } finally {
      counts.countGuestView = countGuestView
    }
  })

  it('sends warm pages gzip-compressed once per copy, the live count inside, to clients that accept gzip', async () => {
    const plain = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('g0')).expect(200)
    const zipped = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('g1')).set('Accept-Encoding', 'gzip, deflate, br').expect(200)
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toContain('Accept-Encoding')
    expect(Number(zipped.headers['content-length'])).toBeLessThan(Buffer.byteLength(plain.text) / 2)
    expect(viewsShown(zipped.text)).toBe(viewsShown(plain.text) + 1) // supertest unzips the body
    expect(zipped.text.replace(/id="view-count">\d+/, '')).toBe(plain.text.replace(/id="view-count">\d+/, ''))
    const again = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('g2')).set('Accept-Encoding', 'gzip').expect(200)
    expect(viewsShown(again.text)).toBe(viewsShown(plain.text) + 2)
    const brOnly = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('g3')).set('Accept-Encoding', 'br').expect(200)
    expect(brOnly.headers['content-encoding']).toBe('br') // left to the compress plugin
    const home = await ctx.t.agent().get('/').set('User-Agent', ua('g4')).expect(200)
    const homeZipped = await ctx.t.agent().get('/').set('User-Agent', ua('g5')).set('Accept-Encoding', 'gzip').expect(200)
    expect(homeZipped.headers['content-encoding']).toBe('gzip')
    expect(homeZipped.text).toBe(home.text)
  })

  it('renders an expired page once for a burst of guests, who get the last copy meanwhile, all views counted', async () => {
    ctx.t.clock.advance(5)
    const renders: string[] = []
    const onQuery = (q: { sql: string }): void => { if (q.sql.includes('from `articles` as `a`') || q.sql.includes('from `comments`')) renders.push(q.sql) }
    ctx.db.knex.on('query', onQuery)
    const before = viewsShown((await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('burst-0')).expect(200)).text)
    // What one render of this page asks of the comments table (its list and counts).
    const perRender = renders.filter((sql) => sql.includes('from `comments`')).length
    const { title } = await ctx.db.knex('articles').where({ id: articleId }).first<{ title: string }>('title')
    await ctx.db.knex('articles').where({ id: articleId }).update({ title: '新标题渲染中' })
    ctx.t.clock.advance(5) // the copy just made expires (and is less than 10 s old: given out while the next renders)
    renders.length = 0
    // Injected side by side (no sockets between them), so they truly arrive together.
    const burst = await Promise.all(Array.from({ length: 12 }, async (_, i) => await ctx.t.app.inject({ method: 'GET', url: `/article/${articleId}`, headers: { 'user-agent': ua(`burst-${i + 1}`) } })))
    ctx.db.knex.removeListener('query', onQuery)
    expect(burst.map((r) => r.statusCode)).toEqual(Array(12).fill(200))
    // One render's worth of comment queries (a list and its counts), not twelve.
    const commentQueries = renders.filter((sql) => sql.includes('from `comments`')).length
    expect(perRender).toBeGreaterThan(0)
    expect(perRender).toBeLessThanOrEqual(3)
    expect(commentQueries).toBe(perRender)
    // Every response counted its view and shows a count that includes it.
    const shown = burst.map((r) => viewsShown(r.body))
    expect(Math.max(...shown)).toBe(before + 12)
    expect(Math.min(...shown)).toBeGreaterThan(before)
    // The first renders the new title; those arriving during its render got the last copy at once.
    expect(burst[0]?.body).toContain('新标题渲染中')
    expect(burst.filter((r) => r.body.includes('新标题渲染中')).length).toBeLessThan(12)
    await ctx.db.knex('articles').where({ id: articleId }).update({ title })
    ctx.t.clock.advance(5)
  })

  it('gives a guest holding a session (after opening the login form) the same page and counts the view', async () => {
    const guest = ctx.t.agent().set('User-Agent', ua('with-session'))
    await guest.get('/login').expect(200)
    const before = await ctx.t.agent().get(`/article/${articleId}`).set('User-Agent', ua('b0')).expect(200)
    const mine = await guest.get(`/article/${articleId}`).expect(200)
    expect(mine.text).toContain('>登录</a>')
    expect(viewsShown(mine.text)).toBe(viewsShown(before.text) + 1)
  })

  it('caches guest thread pages with a live view count, never for members', async () => {
    const first = await ctx.t.agent().get(`/thread/${threadId}`).set('User-Agent', ua('t0')).expect(200)
    const second = await ctx.t.agent().get(`/thread/${threadId}`).set('User-Agent', ua('t1')).expect(200)
    expect(second.headers['set-cookie']).toBeUndefined()
    expect(viewsShown(second.text)).toBe(viewsShown(first.text) + 1)
    const member = await createUser(ctx.db.knex)
    const agent = ctx.t.agent().set('User-Agent', ua('t-member'))
    await login(agent, member.username, member.password)
    const theirs = await agent.get(`/thread/${threadId}`).expect(200)
    expect(theirs.text).toContain(`>${member.username}</a>`)
    expect(theirs.text).toContain('name="_csrf"') // their quick-reply form, not a guest's copy
    expect(viewsShown(theirs.text)).toBe(viewsShown(first.text) + 2)
  })

  it('keeps a guest darkroom copy for a second: a new ban shows there after it, and at once for staff', async () => {
    const mod = await createUser(ctx.db.knex, { role: 'moderator' })
    const member = await createUser(ctx.db.knex)
    await ctx.t.agent().get('/darkroom').set('User-Agent', ua('d0')).expect(200)
    const staff = await login(ctx.t.agent().set('User-Agent', ua('d-mod')), mod.username, mod.password)
    expect((await postBan(staff, member.id, { type: 'post', duration: '3', reason: '缓存一秒' })).status).toBe(303)
    const frontDoorBefore = ctx.t.app.guestPages.answered.beforeFastify
    const cached = await ctx.t.agent().get('/darkroom').set('User-Agent', ua('d1')).expect(200)
    expect(ctx.t.app.guestPages.answered.beforeFastify).toBe(frontDoorBefore + 1)
    expect(cached.text).not.toContain('缓存一秒')
    // Cached answers keep the page out of search engines like the rendered one (header and meta).
    expect(cached.headers['x-robots-tag']).toBe('noindex')
    expect(cached.text).toContain('<meta name="robots" content="noindex">')
    expect((await staff.get('/darkroom').expect(200)).text).toContain('缓存一秒')
    ctx.t.clock.advance(2)
    expect((await ctx.t.agent().get('/darkroom').set('User-Agent', ua('d2')).expect(200)).text).toContain('缓存一秒')
  })

  it('answers 304 from the cached Archiver copy and keeps a crawler-only copy from human browsers', async () => {
    const url = `/archiver/tid-${threadId}.html`
    const first = await ctx.t.agent().get(url).set('User-Agent', ua('r0')).expect(200)
    const etag = String(first.headers.etag)
    const again = await ctx.t.agent().get(url).set('User-Agent', ua('r1')).set('If-None-Match', etag).expect(304)
    expect(again.headers.etag).toBe(etag)
    expect(again.headers['cache-control']).toBe('public, max-age=60')

    await ctx.db.knex('settings').insert({ key: 'archiver_redirect', value: '1' })
    ctx.t.clock.advance(5)
    await ctx.t.agent().get(url).set('User-Agent', CRAWLER).expect(200)
    await ctx.t.agent().get(url).set('User-Agent', ua('r2')).expect(302).expect('Location', `/thread/${threadId}`)
    await ctx.t.agent().get(url).set('User-Agent', CRAWLER).expect(200)
    await ctx.db.knex('settings').where({ key: 'archiver_redirect' }).delete()
    ctx.t.clock.advance(5)
  })
})

describe.each(dialects)('the front door tells guests apart the way Fastify does (TRUST_PROXY) on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })
  let articleId: number
  beforeAll(async () => {
    articleId = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: (await createUser(ctx.db.knex)).id, views: 0 })
  })

  /** Four cached hits from one User-Agent behind a proxy, two client addresses: the views they count (dedupe on, 8 hours). */
  async function viewsCounted (env: Record<string, string>): Promise<number> {
    const t = await buildTestApp(ctx.db, { guestCacheMs: 1000, viewFlushIntervalMs: 3_600_000, env })
    try {
      t.clock.advance(3600 * 24) // past the previous app's dedupe window
      await t.agent().get(`/article/${articleId}`).set('User-Agent', 'Mozilla/5.0 (Proxy test) Firefox/120.0').set('X-Forwarded-For', '203.0.113.7').expect(200)
      const before = t.app.viewCounts.countedFor('article', articleId)
      const frontDoorBefore = t.app.guestPages.answered.beforeFastify
      for (const ip of ['203.0.113.7', '198.51.100.9', '203.0.113.7', '198.51.100.9']) {
        await t.agent().get(`/article/${articleId}`).set('User-Agent', 'Mozilla/5.0 (Proxy test) Firefox/120.0').set('X-Forwarded-For', ip).expect(200)
      }
      expect(t.app.guestPages.answered.beforeFastify).toBe(frontDoorBefore + 4)
      return t.app.viewCounts.countedFor('article', articleId) - before
    } finally {
      await t.close()
    }
  }

  it('counts a second client address behind a trusted proxy, and ignores X-Forwarded-For otherwise', async () => {
    expect(await viewsCounted({ TRUST_PROXY: 'true' })).toBe(1) // 198.51.100.9 is new; 203.0.113.7 was counted first
    expect(await viewsCounted({ TRUST_PROXY: 'false' })).toBe(0) // all one client (127.0.0.1), already counted
  })
})
