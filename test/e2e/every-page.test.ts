import type { AddressInfo } from 'node:net'
import nunjucks from 'nunjucks'
import type { Browser, Page, Response } from 'playwright-core'
import { seedDemo } from '../../src/seeds/demo'
import { VIEWS_DIR, templateNames } from '../../src/plugins/view'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, csrfFrom, login, testConfig } from '../helpers/app'
import { banUser, createUser } from '../helpers/factories'
import { checkPage, launchChromium, phoneProblems, watchedContext } from '../helpers/browser'

/**
 * Every page template in a real browser (Debian's chromium), from one table: each template a route
 * renders as a page, the URL that shows it and who sees it. For each, at 1280 and 390 px: the response
 * is the one intended, the template is the one rendered, no console error, no uncaught error, no failed
 * request and no other error status, every <img> sized, lang zh-CN, and axe-core finds no serious or
 * critical violation; at 360, 390 and 414 px the page does not scroll sideways, its tap targets are
 * 44 × 44 px and its reading text 15 px. A template without a row fails the first test, as a route
 * without a row fails the access matrix.
 */

type Actor = 'guest' | 'member' | 'moderator' | 'admin'

interface PageEntry {
  actor: Actor
  /** A concrete URL, `{name}` filled from the seeded resources. */
  url: string
  /** The document's status when it is not 200 (the 404 pages). */
  status?: number
  /** For a page no GET shows (a form's refusal; `url` is then the address it answers on): how to get there; returns the document's response. */
  open?: (page: Page, base: string) => Promise<Response | null>
}

/** Templates that are not pages: the layouts pages extend, and the 表态 widget sent inside a JSON answer. Partials (_*.njk) are skipped by name. */
const NOT_PAGES = new Set(['layouts/base.njk', 'admin/layout.njk', 'archiver/layout.njk', 'reactions/fragment.njk'])

const PAGES: Record<string, PageEntry> = {
  'portal/home.njk': { actor: 'guest', url: '/' },
  'portal/category.njk': { actor: 'guest', url: '/category/{category}' },
  'portal/article.njk': { actor: 'guest', url: '/article/{article}' },
  'comments/list.njk': { actor: 'guest', url: '/article/{article}/comments' },
  'forum/index.njk': { actor: 'guest', url: '/forum' },
  'forum/board.njk': { actor: 'guest', url: '/forum/{board}' },
  'forum/thread.njk': { actor: 'guest', url: '/thread/{thread}' },
  'moderation/darkroom.njk': { actor: 'guest', url: '/darkroom' },
  'archiver/index.njk': { actor: 'guest', url: '/archiver/' },
  'archiver/category.njk': { actor: 'guest', url: '/archiver/cid-{category}.html' },
  'archiver/article.njk': { actor: 'guest', url: '/archiver/aid-{article}.html' },
  'archiver/board.njk': { actor: 'guest', url: '/archiver/fid-{board}.html' },
  'archiver/thread.njk': { actor: 'guest', url: '/archiver/tid-{thread}.html' },
  'archiver/not-found.njk': { actor: 'guest', url: '/archiver/aid-999999.html', status: 404 },
  'errors/error.njk': { actor: 'guest', url: '/no-such-page', status: 404 },
  'pages/page.njk': { actor: 'guest', url: '/page/about' },
  'search/results.njk': { actor: 'guest', url: '/search?q={query}' },
  'members/login.njk': { actor: 'guest', url: '/login' },
  'members/register.njk': { actor: 'guest', url: '/register' },
  'members/forgot.njk': { actor: 'guest', url: '/password/forgot' },
  'members/reset.njk': { actor: 'guest', url: '/password/reset/{resetToken}' },
  'members/profile.njk': { actor: 'guest', url: '/user/{author}' },
  'members/settings.njk': { actor: 'member', url: '/settings' },
  'members/avatar.njk': { actor: 'member', url: '/settings/avatar' },
  'members/verify.njk': { actor: 'member', url: '/email/verify' },
  'notifications/list.njk': { actor: 'member', url: '/notifications' },
  'notifications/settings.njk': { actor: 'member', url: '/notifications/settings' },
  'notifications/blocks.njk': { actor: 'member', url: '/settings/blocks' },
  'forum/new.njk': { actor: 'member', url: '/forum/{board}/new' },
  'moderation/mod.njk': { actor: 'moderator', url: '/mod' },
  'moderation/ban.njk': { actor: 'moderator', url: '/mod/ban/{victim}' },
  'comments/mod.njk': { actor: 'moderator', url: '/mod/comments' },
  'comments/edit.njk': { actor: 'moderator', url: '/comments/{comment}/edit' },
  'forum/mod.njk': { actor: 'moderator', url: '/mod/posts' },
  'forum/edit.njk': { actor: 'moderator', url: '/post/{post}/edit' },
  'admin/status.njk': { actor: 'admin', url: '/admin' },
  'admin/settings.njk': { actor: 'admin', url: '/admin/settings' },
  'admin/logo.njk': {
    actor: 'admin',
    url: '/admin/settings/logo',
    status: 400,
    // Shown only when an upload is refused: a text file sent as the logo from 站点设置.
    open: async (page, base) => {
      await page.goto(`${base}/admin/settings`)
      await page.setInputFiles('form[action^="/admin/settings/logo?"] input[type=file]', { name: 'logo.txt', mimeType: 'text/plain', buffer: Buffer.from('不是图片') })
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'),
        page.click('form[action^="/admin/settings/logo?"] [type=submit]')
      ])
      await page.waitForLoadState()
      return res
    }
  },
  'admin/words.njk': { actor: 'admin', url: '/admin/words' },
  'admin/reactions.njk': { actor: 'admin', url: '/admin/reactions' },
  'admin/log.njk': { actor: 'admin', url: '/admin/log' },
  'admin/categories.njk': { actor: 'admin', url: '/admin/categories' },
  'admin/category-edit.njk': { actor: 'admin', url: '/admin/categories/{category}/edit' },
  'admin/boards.njk': { actor: 'admin', url: '/admin/boards' },
  'admin/board-edit.njk': { actor: 'admin', url: '/admin/boards/{board}/edit' },
  'admin/pages.njk': { actor: 'admin', url: '/admin/pages' },
  'admin/page-edit.njk': { actor: 'admin', url: '/admin/pages/new' },
  'ip-bans/list.njk': { actor: 'admin', url: '/admin/ip-bans' },
  'people/list.njk': { actor: 'admin', url: '/admin/members' },
  'people/member.njk': { actor: 'admin', url: '/admin/members/{victim}' },
  'portal/write.njk': { actor: 'admin', url: '/portal/write' },
  'portal/manage.njk': { actor: 'admin', url: '/portal/manage' },
  'portal/revisions.njk': { actor: 'admin', url: '/portal/write/{article}/revisions' },
  'portal/revision.njk': { actor: 'admin', url: '/portal/write/{article}/revisions/1' },
  'uploads/new.njk': { actor: 'admin', url: '/uploads/new' }
}

const ACTORS: Actor[] = ['guest', 'member', 'moderator', 'admin']
const PHONES = [360, 390, 414]
const MEMBER = { username: 'every_member', password: 'every-page-pass', email: 'every_member@example.com' }
const MODERATOR = { username: 'every_mod', password: 'every-page-pass' }

/** The page templates: every .njk but the partials (_*.njk) and NOT_PAGES. */
function pageTemplates (): string[] {
  return templateNames(VIEWS_DIR).filter((name) => !(name.split('/').at(-1) ?? '').startsWith('_') && !NOT_PAGES.has(name))
}

describe('the every-page table', () => {
  it('has a row for every page template, and none for a template that is gone', () => {
    const templates = pageTemplates()
    expect(templates.filter((t) => PAGES[t] === undefined)).toEqual([])
    expect(Object.keys(PAGES).filter((t) => !templates.includes(t))).toEqual([])
  })
})

// The pages are the same templates on both databases (the repositories' SQL has its own tests on each):
// one database keeps this file near two minutes.
const pageDialects = dialects.slice(0, 1)
if (dialects.length > 1) console.log(`every page in chromium: on ${pageDialects.join(', ')} only; the templates render the same on ${dialects.slice(1).join(', ')}`)

// Seeding the demo (pictures drawn by sharp) takes longer than Jest's 30 s hook default on a loaded machine.
jest.setTimeout(180_000)

describe.each(pageDialects)('every page template in chromium on %s', (dialect) => {
  let browser: Browser
  let base: string
  let adminPassword = ''
  const resources: Record<string, string> = {}
  // Which templates each visit rendered (a spy on nunjucks, installed before the app is built).
  const rendered: string[] = []
  let renders: jest.SpiedFunction<typeof nunjucks.Environment.prototype.render>
  beforeAll(() => {
    // Called back with the environment as `this` (Function.apply below): unbound on purpose.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const render = nunjucks.Environment.prototype.render
    renders = jest.spyOn(nunjucks.Environment.prototype, 'render').mockImplementation(function (this: nunjucks.Environment, ...args: Parameters<typeof render>) {
      rendered.push(args[0])
      return render.apply(this, args)
    })
  })
  afterAll(() => { renders.mockRestore() })

  const ctx = useTestApp(dialect, {
    app: { env: LOCAL_CLIENTS_UNLIMITED },
    seed: async (db) => {
      const knex = db.knex
      const admin = await seedDemo(knex, testConfig(db))
      adminPassword = admin?.password ?? ''
      const member = await createUser(knex, { ...MEMBER, createdAt: 0 })
      await createUser(knex, { ...MODERATOR, role: 'moderator' })
      // 小黑屋 with a row: another member banned from posting.
      const victim = await createUser(knex, { username: 'every_victim' })
      await banUser(knex, victim.id, { type: 'post', until: null, reason: '多次发布广告链接' })
      const comment = await knex('comments').where({ status: 'visible' }).orderBy('id').first<{ id: number, article_id: number }>('id', 'article_id')
      const article = await knex('articles').where({ id: comment.article_id }).first<{ id: number, category_id: number, author_id: number, title: string }>('id', 'category_id', 'author_id', 'title')
      const thread = await knex('threads').orderBy('reply_count', 'desc').first<{ id: number, board_id: number, title: string }>('id', 'board_id', 'title')
      const post = await knex('posts').where({ thread_id: thread.id, status: 'visible' }).orderBy('position', 'desc').first<{ id: number }>('id')
      // A notice for the member, so 提醒 shows a row.
      await knex('notifications').insert({ user_id: member.id, kind: 'thread_reply', actor_id: victim.id, actor_name: victim.username, target_type: 'thread', target_id: thread.id, title: thread.title, url: `/thread/${thread.id}`, created_at: 1, updated_at: 1 })
      Object.assign(resources, {
        category: String(article.category_id),
        article: String(article.id),
        author: String(article.author_id),
        comment: String(comment.id),
        board: String(thread.board_id),
        thread: String(thread.id),
        post: String(post.id),
        victim: String(victim.id),
        query: encodeURIComponent(article.title.slice(0, 4))
      })
    }
  })

  const fill = (url: string): string => url.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = resources[name]
    if (value === undefined) throw new Error(`no resource ${name} for ${url}`)
    return value
  })

  beforeAll(async () => {
    // A revision of the article (the admin saves it once, as the editor would), and a reset link for the member.
    const agent = await login(ctx.t.agent(), 'admin', adminPassword)
    const form = await agent.get(`/portal/write/${resources.article ?? ''}`).expect(200)
    const field = (name: string): string => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(form.text)?.[1] ?? ''
    const body = /<textarea[^>]*name="body"[^>]*>([\s\S]*?)<\/textarea>/.exec(form.text)?.[1] ?? ''
    await agent.post(`/portal/write/${resources.article ?? ''}`).type('form').send({
      _csrf: csrfFrom(form.text), version: field('version'), title: `${field('title')}（修订）`, catid: resources.category, body: body.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'), status: 'published'
    }).expect(303)
    await ctx.t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.t.app.server.address() as AddressInfo).port}`
    await ctx.t.app.accountLinks.requestPasswordReset(MEMBER.email, base)
    const mail = await ctx.db.knex('mail_outbox').where({ to_address: MEMBER.email }).orderBy('id', 'desc').first<{ text_body: string }>('text_body')
    resources.resetToken = /\/password\/reset\/([\w-]+)/.exec(mail.text_body)?.[1] ?? ''
    browser = await launchChromium()
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
  })

  it.each(ACTORS)('%s: each page at 1280 and 390 px, and its width at 360, 390 and 414 px', async (actor) => {
    const entries = Object.entries(PAGES).filter(([, e]) => e.actor === actor)
    const w = await watchedContext(browser, { viewport: { width: 1280, height: 900 } })
    const page = await w.context.newPage()
    const problems: string[] = []
    if (actor !== 'guest') {
      const [username, password] = actor === 'admin' ? ['admin', adminPassword] : actor === 'moderator' ? [MODERATOR.username, MODERATOR.password] : [MEMBER.username, MEMBER.password]
      await page.goto(`${base}/login`)
      await page.fill('#login', username)
      await page.fill('#password', password)
      await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('main form[action="/login"] [type=submit]')])
    }
    for (const [template, entry] of entries) {
      const url = base + fill(entry.url)
      const status = entry.status ?? 200
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        rendered.length = 0
        w.expectedPage = status === 200 ? null : { path: new URL(url).pathname, status }
        const res = entry.open === undefined ? await page.goto(url) : await entry.open(page, base)
        const where = `${template} (${new URL(page.url()).pathname}) at ${width} px`
        if (res?.status() !== status) problems.push(`${where}: status ${res?.status() ?? 'none'}, expected ${status}`)
        // The first visit renders it; the second may come from the browser's cache (the Archiver's max-age).
        if (width === 1280 && !rendered.includes(template)) problems.push(`${where}: rendered ${rendered.join(', ')}, not ${template}`)
        const before = problems.length
        await checkPage(page, problems)
        for (let i = before; i < problems.length; i++) problems[i] = `${problems[i] ?? ''} [${width} px]`
        if (width === 390) {
          for (const phone of PHONES) {
            await page.setViewportSize({ width: phone, height: 800 })
            problems.push(...await phoneProblems(page, template))
          }
        }
      }
      problems.push(...w.problems.map((p) => `${template}: ${p}`))
      w.problems.length = 0
    }
    await w.context.close()
    expect(problems).toEqual([])
  }, 240_000)
})
