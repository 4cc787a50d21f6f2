import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { postThread } from '../forum/helpers'
import { VIEWS_MARKER } from '../../src/plugins/guest-pages'

const ua = (n: number | string): string => `Mozilla/5.0 (Reader ${n}) Firefox/120.0`
/** The marker before this fix: any user could type it. */
const OLD_MARKER = '__LUNTAN_VIEW_COUNT__'
/** Something of the new marker's shape (an HTML comment with a hex token), which autoescape turns into text. */
const NEW_SHAPE = '<!--luntan-views-0123456789abcdef0123456789abcdef-->'

describe.each(dialects)('the guest cache view-count marker cannot be written by users on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { guestCacheMs: 1000, viewFlushIntervalMs: 3_600_000 } })
  let articleId: number
  let threadId: number
  const title = `${OLD_MARKER} ${NEW_SHAPE}`

  beforeAll(async () => {
    const author = await createUser(ctx.db.knex)
    articleId = await createArticle(ctx.db.knex, {
      categoryId: await createCategory(ctx.db.knex), authorId: author.id, views: 40, title, body: `正文 ${OLD_MARKER}\n\n${NEW_SHAPE} ${VIEWS_MARKER}`
    })
    const { boardId } = await createGroupWithBoard(ctx.db.knex)
    const poster = ctx.t.agent().set('User-Agent', ua('poster'))
    await login(poster, author.username, author.password)
    threadId = await postThread(ctx.t, poster, boardId, title, `楼主 ${OLD_MARKER} ${NEW_SHAPE}`)
    ctx.t.clock.advance(5)
  })

  const viewsShown = (html: string): number => Number(/id="view-count">(\d+)</.exec(html)?.[1])
  const titleOf = (html: string): string => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? ''

  it('is random per process and holds characters autoescape changes', () => {
    expect(VIEWS_MARKER).not.toBe(OLD_MARKER)
    expect(VIEWS_MARKER).toMatch(/^<!--luntan-views-[0-9a-f]{32}-->$/)
    expect(VIEWS_MARKER).not.toBe(NEW_SHAPE)
  })

  for (const kind of ['article', 'thread'] as const) {
    it(`keeps a ${kind} titled with the old marker and the new one's shape as text, with the count in its place, rendered and cached`, async () => {
      const url = kind === 'article' ? `/article/${articleId}` : `/thread/${threadId}`
      const first = await ctx.t.agent().get(url).set('User-Agent', ua(`${kind}0`)).set('Accept-Encoding', 'identity').expect(200)
      const hits = ctx.t.app.guestPages.answered.beforeFastify
      const second = await ctx.t.agent().get(url).set('User-Agent', ua(`${kind}1`)).set('Accept-Encoding', 'identity').expect(200)
      expect(ctx.t.app.guestPages.answered.beforeFastify).toBe(hits + 1) // the cached copy
      for (const page of [first.text, second.text]) {
        expect(titleOf(page)).toContain(OLD_MARKER)
        expect(titleOf(page)).toContain('&lt;!--luntan-views-0123456789abcdef0123456789abcdef--&gt;')
        expect(page).not.toContain(VIEWS_MARKER)
        expect(page).not.toContain(NEW_SHAPE)
      }
      expect(viewsShown(second.text)).toBe(viewsShown(first.text) + 1)
      if (kind === 'article') expect(viewsShown(first.text)).toBe(41)
      // The stats line shows digits, never a marker.
      expect(/id="view-count">([^<]*)</.exec(second.text)?.[1]).toMatch(/^\d+$/)
    })
  }
})
