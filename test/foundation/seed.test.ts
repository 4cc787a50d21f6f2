import bcrypt from 'bcrypt'
import { seedDemo } from '../../src/seeds/demo'
import { renderMarkdown } from '../../src/lib/markdown'
import { SETTING_DEFAULTS } from '../../src/plugins/settings'
import { countRows, dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { testConfig } from '../helpers/app'
import { createCategory, createUser } from '../helpers/factories'
import { DEMO_PICTURE_KEYS } from '../../src/seeds/demo-pictures'
import { LocalDiskStorage } from '../../src/features/uploads/storage'
import { reconcileCommentCounts } from '../../src/features/comments/cli'
import { reactionDrift } from '../../src/features/reactions/cli'

describe.each(dialects)('demo seed on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })

  it('seeds an empty database: admin, members, a two-level category tree, articles and settings', async () => {
    const admin = await seedDemo(ctx.db.knex, testConfig(ctx.db))
    expect(admin).not.toBeNull()
    if (admin === null) return
    expect(admin.username).toBe('admin')
    expect(admin.password.length).toBeGreaterThanOrEqual(12)

    const adminRow = await ctx.db.knex('users').where({ username_key: 'admin' }).first<{ password_hash: string, role: string } | undefined>('password_hash', 'role')
    expect(adminRow?.role).toBe('admin')
    expect(await bcrypt.compare(admin.password, adminRow?.password_hash ?? '')).toBe(true)
    const moderators = await ctx.db.knex('users').where({ role: 'moderator' }).count<Array<{ n: number | string }>>({ n: '*' }).first()
    expect(Number(moderators?.n)).toBeGreaterThanOrEqual(1)
    expect(await countRows(ctx.db.knex, 'users')).toBeGreaterThanOrEqual(4)

    const categories = await ctx.db.knex('categories').select<Array<{ id: number, parent_id: number | null }>>('id', 'parent_id')
    const topLevel = categories.filter((c) => c.parent_id === null)
    const children = categories.filter((c) => c.parent_id !== null)
    expect(topLevel.length).toBeGreaterThanOrEqual(2)
    expect(children.length).toBeGreaterThanOrEqual(2)
    for (const child of children) expect(topLevel.map((c) => c.id)).toContain(child.parent_id)

    const now = Math.floor(Date.now() / 1000)
    // Published and out now (the scheduled one is checked below).
    const articles = await ctx.db.knex('articles').where({ status: 'published' }).andWhere('published_at', '<=', now)
      .select<Array<{ summary: string, source_name: string, source_url: string, body: string, published_at: number, views: number }>>('summary', 'source_name', 'source_url', 'body', 'published_at', 'views')
    expect(articles.length).toBeGreaterThanOrEqual(10)
    for (const article of articles) {
      expect(article.summary).not.toBe('')
      expect(article.source_name).not.toBe('')
      expect(article.source_url).toMatch(/^https:\/\//)
      expect(article.published_at).toBeLessThanOrEqual(now)
      expect(article.published_at).toBeGreaterThan(now - 70 * 86400)
      expect(Number(article.views)).toBeGreaterThan(0)
    }
    // Pictures: stored through the upload service (a row and its files each), shown with their ▲ captions.
    const pictured = articles.filter((a) => /\/uploads\//.test(a.body))
    expect(pictured.length).toBeGreaterThanOrEqual(8)
    for (const article of pictured) expect(renderMarkdown(article.body)).toContain('<span class="article-caption">▲ ')
    const uploads = await ctx.db.knex('uploads').select<Array<{ hash: string, width: number, mime: string }>>('hash', 'width', 'mime')
    expect(uploads.length).toBe(DEMO_PICTURE_KEYS.length)
    for (const u of uploads) {
      expect(u.mime).toBe('image/jpeg')
      expect(Number(u.width)).toBeGreaterThan(760)
    }
    const storage = new LocalDiskStorage(testConfig(ctx.db).uploadsDir)
    for (const match of pictured.flatMap((a) => [...a.body.matchAll(/\/uploads\/([\w/.-]+)/g)])) {
      expect((await storage.stat(match[1] ?? ''))?.contentType).toBe('image/jpeg')
    }
    // Lists show thumbnails: the first picture is the cover.
    const covers = await ctx.db.knex('articles').whereNotNull('cover_url').count<Array<{ n: number | string }>>({ n: '*' }).first()
    expect(Number(covers?.n)).toBe(pictured.length + 1) // and the scheduled one
    // A two-page article; a scheduled one, three days ahead.
    const twoPages = await ctx.db.knex('articles').where({ page_count: 2 }).first<{ id: number, body: string } | undefined>('id', 'body')
    expect(twoPages?.body).toContain('<!-- 分页 -->')
    const scheduled = await ctx.db.knex('articles').where('published_at', '>', now).select<Array<{ title: string, status: string, published_at: number }>>('title', 'status', 'published_at')
    expect(scheduled).toHaveLength(1)
    expect(scheduled[0]?.status).toBe('published')
    expect(Number(scheduled[0]?.published_at)).toBeGreaterThan(now + 2 * 86400)
    // An editor with one category granted, who wrote that category's articles.
    const editor = await ctx.db.knex('users').where({ role: 'editor' }).first<{ id: number }>('id')
    const grants = await ctx.db.knex('category_editors').where({ user_id: editor.id }).select<Array<{ category_id: number }>>('category_id')
    expect(grants).toHaveLength(1)
    expect(await countRows(ctx.db.knex, 'articles', { author_id: editor.id, category_id: grants[0]?.category_id ?? 0 })).toBeGreaterThanOrEqual(2)
    // Comments and reactions by members on most articles, the counters equal to the rows.
    const responded = await ctx.db.knex('articles').where('comment_count', '>', 0).select<Array<{ id: number }>>('id')
    expect(responded.length).toBeGreaterThanOrEqual(articles.length - 2)
    expect(await countRows(ctx.db.knex, 'reactions')).toBeGreaterThanOrEqual(articles.length)
    expect((await reconcileCommentCounts(ctx.db.knex, false)).drifted).toEqual([])
    expect(await reactionDrift(ctx.db.knex)).toEqual([])
    // Threads read and answered.
    const threads = await ctx.db.knex('threads').select<Array<{ views: number, reply_count: number }>>('views', 'reply_count')
    expect(threads.length).toBeGreaterThanOrEqual(5)
    for (const t of threads) {
      expect(Number(t.views)).toBeGreaterThan(0)
      expect(Number(t.reply_count)).toBeGreaterThan(0)
    }

    const settings = await ctx.db.knex('settings').select<Array<{ key: string, value: string }>>('key', 'value')
    const keys = settings.map((s) => s.key)
    for (const key of keys) expect(Object.keys(SETTING_DEFAULTS)).toContain(key)
    expect(keys).toEqual(expect.arrayContaining(['site_name', 'site_hotline', 'site_icp', 'report_phone', 'report_email', 'site_copyright', 'footer_links']))
    const footer = settings.find((s) => s.key === 'footer_links')
    expect((JSON.parse(footer?.value ?? '[]') as Array<{ label: string }>).map((l) => l.label))
      .toEqual(['关于我们', '帮助中心', '法律声明', '诚聘英才', '联系我们', '手机版', '小黑屋', 'Archiver', 'APP下载'])
    // Each /page/… link of the demo footer has its 单页.
    const slugs = (await ctx.db.knex('pages').orderBy('slug').select<Array<{ slug: string }>>('slug')).map((p) => p.slug)
    expect(slugs).toEqual(['about', 'app', 'contact', 'help', 'jobs', 'legal'])
  })

  it('returns null and changes nothing when the database already has members', async () => {
    const before = await Promise.all(['users', 'categories', 'articles', 'settings'].map(async (t) => await countRows(ctx.db.knex, t)))
    expect(await seedDemo(ctx.db.knex, testConfig(ctx.db))).toBeNull()
    const after = await Promise.all(['users', 'categories', 'articles', 'settings'].map(async (t) => await countRows(ctx.db.knex, t)))
    expect(after).toEqual(before)
  })

  it('keeps a 4-byte emoji in an article title and body (utf8mb4)', async () => {
    const user = await createUser(ctx.db.knex)
    const categoryId = await createCategory(ctx.db.knex, { name: '表情 😀' })
    const now = Math.floor(Date.now() / 1000)
    const [id] = await ctx.db.knex('articles').insert({
      category_id: categoryId,
      author_id: user.id,
      title: '龙年快乐 😀🐉',
      summary: '摘要 🐉',
      body: '正文 😀🐉 结束',
      published_at: now,
      updated_at: now
    })
    const row = await ctx.db.knex('articles').where({ id: Number(id) }).first<{ title: string, body: string } | undefined>('title', 'body')
    expect(row?.title).toBe('龙年快乐 😀🐉')
    expect(row?.body).toBe('正文 😀🐉 结束')
    const category = await ctx.db.knex('categories').where({ id: categoryId }).first<{ name: string } | undefined>('name')
    expect(category?.name).toBe('表情 😀')
  })
})

describe.each(dialects)('the demo site as a guest sees it on %s', (dialect) => {
  const ctx = useTestApp(dialect, { seed: async (db) => { await seedDemo(db.knex, testConfig(db)) } })

  it('shows thumbnails, pictures with captions, two pages, comments and reactions, and not the scheduled article', async () => {
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain('骑楼老街慢慢走')
    expect(home.text).not.toContain('冬至社区包汤圆')
    expect(home.text).toMatch(/<img src="\/uploads\/[0-9a-f/]+-t\.jpg"/)

    const scheduled = await ctx.db.knex('articles').where({ title: '冬至社区包汤圆 下周邀街坊一起来' }).first<{ id: number }>('id')
    await ctx.t.agent().get(`/article/${scheduled.id}`).expect(404)

    const twoPages = await ctx.db.knex('articles').where({ page_count: 2 }).first<{ id: number }>('id')
    const first = await ctx.t.agent().get(`/article/${twoPages.id}`).expect(200)
    expect(first.text).toContain('本文导航')
    expect(first.text).toContain('<span class="article-caption">▲ 清晨的骑楼')
    const second = await ctx.t.agent().get(`/article/${twoPages.id}?page=2`).expect(200)
    expect(second.text).toContain('下篇：小吃与夜市')

    const picture = /<img src="(\/uploads\/[^"]+)"/.exec(first.text)?.[1] ?? ''
    const served = await ctx.t.agent().get(picture).expect(200)
    expect(served.headers['content-type']).toBe('image/jpeg')

    const commented = await ctx.db.knex('articles').where('comment_count', '>', 1).first<{ id: number, comment_count: number }>('id', 'comment_count')
    const page = await ctx.t.agent().get(`/article/${commented.id}`).expect(200)
    expect(page.text).toMatch(/class="comment/)
  })
})
