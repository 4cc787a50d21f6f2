import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createArticle, createCategory, createUser } from '../helpers/factories'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

/**
 * 热门 (src/features/portal/service.ts, HOT_RANKING_MS): the ranking by views is a sort over a whole
 * category (or 90 days of articles), so it is kept a minute; the ranked articles are read again with
 * each list, so their titles are current and a hidden or deleted one leaves the list as fast as from
 * any other list (the one-second page cache).
 */
describe.each(dialects)('the 热门 ranking on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000, memberCacheMs: 1000 } })
  const hotTitles = (html: string): string[] => {
    const block = /<h3>热门文章<\/h3>[\s\S]*?<ol class="rank-list">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? ''
    return [...block.matchAll(/title="([^"]+)"/g)].map((m) => m[1] ?? '')
  }
  const home = async (): Promise<string[]> => hotTitles((await ctx.t.agent().set('User-Agent', BROWSER).get('/').expect(200)).text)
  const nextSecond = (): void => { ctx.t.clock.set(ctx.t.clock.nowMs() + 1500) }

  it('keeps the ranking a minute, shows each ranked article as it is now, and drops a hidden one within the second', async () => {
    const author = await createUser(ctx.db.knex, { username: '热门作者' })
    const categoryId = await createCategory(ctx.db.knex, { name: '热门测试' })
    const at = ctx.t.clock.now() - 3600
    const a = await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '甲文章', views: 300, publishedAt: at })
    const b = await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '乙文章', views: 200, publishedAt: at })
    await createArticle(ctx.db.knex, { categoryId, authorId: author.id, title: '丙文章', views: 100, publishedAt: at })
    nextSecond()
    expect((await home()).slice(0, 3)).toEqual(['甲文章', '乙文章', '丙文章'])

    // Views change the ranking only when it is made again (a minute later); a new title shows at once.
    await ctx.db.knex('articles').where('id', b).update({ views: 1000, title: '乙文章改名' })
    nextSecond()
    expect((await home()).slice(0, 3)).toEqual(['甲文章', '乙文章改名', '丙文章'])

    // Hidden: gone from the list in the next second, though the ranking that named it is kept.
    await ctx.db.knex('articles').where('id', a).update({ status: 'hidden' })
    nextSecond()
    expect(await home()).not.toContain('甲文章')

    ctx.t.clock.set(ctx.t.clock.nowMs() + 60_000)
    expect((await home()).slice(0, 2)).toEqual(['乙文章改名', '丙文章'])
  })
})
