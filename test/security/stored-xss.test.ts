import { parseDocument } from 'htmlparser2'
import { findAll, textContent } from 'domutils'
import { XMLParser } from 'fast-xml-parser'
import type { Knex } from 'knex'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, login } from '../helpers/app'
import { banUser, createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'
import { renderBody } from '../../src/lib/markdown'

/**
 * Stored XSS: a corpus of payloads written into every place user text is kept (titles, bodies, names,
 * reasons, settings, static pages), then every page that shows them is PARSED (htmlparser2, as a browser
 * builds its DOM) and checked for anything that would run: a script that is not ours, an on* attribute,
 * a javascript:/data: URL, a frame, an object, a <base>, a refresh. RSS descriptions are parsed as the
 * HTML a feed reader renders; JSON must be served as JSON with nosniff.
 */
const MARK = 'alert(2024)'
export const XSS_CORPUS: readonly string[] = [
  `<script>${MARK}</script>`,
  `<img src=x onerror=${MARK}>`,
  `"><svg onload=${MARK}>`,
  `'><body onload=${MARK}>`,
  `<a href="javascript:${MARK}">点我</a>`,
  `[点我](javascript:${MARK})`,
  `![图](javascript:${MARK})`,
  `<iframe src="javascript:${MARK}"></iframe>`,
  `<object data="data:text/html,<script>${MARK}</script>">`,
  `<base href="//evil.example/">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${MARK}">`,
  `</title></textarea></style><script>${MARK}</script>`,
  `<details open ontoggle=${MARK}>`,
  `[url=javascript:${MARK}]链接[/url]`,
  `{{ '<script>${MARK}</script>' | safe }}`,
  `<a href="&#106;avascript:${MARK}">实体</a>`,
  `<form action="javascript:${MARK}"><button>x</button></form>`
]

const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background']
const FORBIDDEN_ELEMENTS = new Set(['iframe', 'frame', 'object', 'embed', 'base', 'applet'])

/** Everything in a parsed page that would run or navigate script: empty when the page is inert. */
export function activeContent (html: string): string[] {
  const doc = parseDocument(html, { decodeEntities: true })
  const found: string[] = []
  for (const el of findAll(() => true, doc.children)) {
    const name = el.name.toLowerCase()
    if (FORBIDDEN_ELEMENTS.has(name)) found.push(`<${name}>`)
    if (name === 'script') {
      const src = el.attribs.src
      const text = textContent(el)
      if ((src === undefined && text.trim() !== '' && el.attribs.type !== 'application/ld+json') || (src !== undefined && !src.startsWith('/static/')) || text.includes(MARK)) found.push(`<script ${src ?? ''}>${text.slice(0, 60)}`)
    }
    if (name === 'meta' && (el.attribs['http-equiv'] ?? '').toLowerCase() === 'refresh') found.push('<meta refresh>')
    for (const [attr, value] of Object.entries(el.attribs)) {
      if (attr.toLowerCase().startsWith('on')) found.push(`<${name} ${attr}>`)
      if (URL_ATTRIBUTES.includes(attr.toLowerCase()) && /^(javascript|vbscript|data:text\/html)/i.test(value.replace(/[\u0000-\u0020]/g, ''))) found.push(`<${name} ${attr}=${value.slice(0, 40)}>`)
      if (attr.toLowerCase() === 'style' && value.includes('expression(')) found.push(`<${name} style=expression>`)
    }
  }
  return found
}

interface Seeded { admin: CreatedUser, banned: CreatedUser, articles: number[], threads: number[], users: number[], category: number, board: number, slug: string }

async function seedPayloads (db: Knex): Promise<Seeded> {
  const at = Math.floor(Date.now() / 1000) - 3600
  const admin = await createUser(db, { username: 'xss_admin', role: 'admin' })
  const banned = await createUser(db, { username: 'xss_banned' })
  await banUser(db, banned.id, { type: 'visit', until: null, reason: XSS_CORPUS[0] ?? '' })
  await db('settings').insert({ key: 'site_name', value: `<script>${MARK}</script>`.slice(0, 40) }).onConflict('key').merge()
  const category = await createCategory(db, { name: XSS_CORPUS[1]?.slice(0, 64) })
  const { boardId: board } = await createGroupWithBoard(db, { boardName: XSS_CORPUS[2]?.slice(0, 64) })
  await createBoard(db, { name: '普通版', description: XSS_CORPUS[3] ?? '' })
  const articles: number[] = []
  const threads: number[] = []
  const users: number[] = []
  let i = 0
  for (const payload of XSS_CORPUS) {
    i++
    const author = await createUser(db, { username: `x${i}${payload}`.slice(0, 32) })
    users.push(author.id)
    await db('bans').insert({ user_id: author.id, type: 'post', reason: payload, created_at: at, expires_at: null, moderator_id: admin.id })
    await db('users').where({ id: author.id }).update({ ban_type: 'post', ban_until: null, ban_reason: payload })
    const article = await createArticle(db, { categoryId: category, authorId: admin.id, title: payload.slice(0, 191), summary: payload, body: `正文 ${payload}\n\n${payload}` })
    articles.push(article)
    await db('comments').insert({ article_id: article, author_id: author.id, status: 'visible', body: payload, created_at: at, list_position: 1 })
    await db('comments').insert({ article_id: article, author_id: null, guest_name: payload.slice(0, 32), status: 'visible', body: payload, created_at: at + 1, list_position: 2 })
    const [thread] = await db('threads').insert({ board_id: board, author_id: author.id, title: payload.slice(0, 191), reply_count: 1, last_position: 2, created_at: at, last_post_at: at, last_poster_id: author.id, last_poster_name: author.username })
    threads.push(Number(thread))
    await db('posts').insert({ thread_id: Number(thread), author_id: author.id, position: 1, body: payload, created_at: at })
    await db('posts').insert({ thread_id: Number(thread), author_id: author.id, position: 2, body: `回复 ${payload}`, created_at: at })
    await db('moderation_log').insert({ actor_id: admin.id, action: 'ban', target_user_id: author.id, target_type: 'user', target_id: author.id, reason: payload, created_at: at })
  }
  // The editor refuses an image from outside the site before anything is stored: the rest go in.
  const body = XSS_CORPUS.filter((p) => !/!\[|<img/.test(p)).join('\n\n')
  const rendered = renderBody(body)
  if ('refusal' in rendered) throw new Error(rendered.refusal)
  await db('pages').insert({ slug: 'xss', title: (XSS_CORPUS[0] ?? '').slice(0, 80), body, body_html: rendered.html, render_version: 3, created_at: at, updated_at: at, updated_by: admin.id })
  await db('ip_bans').insert({ range: '198.51.100.7', reason: (XSS_CORPUS[1] ?? '').slice(0, 200), created_at: at })
  await db('word_filters').insert({ word: (XSS_CORPUS[2] ?? '').slice(0, 100), word_key: (XSS_CORPUS[2] ?? '').slice(0, 100), action: 'replace', replacement: (XSS_CORPUS[1] ?? '').slice(0, 100), created_at: at, updated_at: at })
  return { admin, banned, articles, threads, users, category, board, slug: 'xss' }
}

// The database's setup (migrations, seeding with bcrypt) outlasts the default 30 s on a busy MariaDB.
jest.setTimeout(120_000)

describe.each(dialects)('stored XSS on %s', (dialect) => {
  let seeded: Seeded | undefined
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED }, seed: async (db) => { seeded = await seedPayloads(db.knex) } })
  const s = (): Seeded => { if (seeded === undefined) throw new Error('not seeded'); return seeded }
  let pagesChecked = 0
  afterAll(() => { console.log(`stored XSS on ${dialect}: ${XSS_CORPUS.length} payloads, ${pagesChecked} pages parsed`) })

  const guestPages = (): string[] => [
    '/', '/forum', `/category/${s().category}`, `/forum/${s().board}`, '/darkroom', `/page/${s().slug}`, '/archiver/',
    `/archiver/cid-${s().category}.html`, `/archiver/fid-${s().board}.html`,
    ...s().articles.flatMap((a) => [`/article/${a}`, `/article/${a}/comments`, `/archiver/aid-${a}.html`]),
    ...s().threads.flatMap((t) => [`/thread/${t}`, `/archiver/tid-${t}.html`]),
    ...s().users.map((u) => `/user/${u}`)
  ]

  it('renders every payload inert on every public page', async () => {
    const agent = ctx.t.agent()
    for (const url of guestPages()) {
      const res = await agent.get(url)
      expect({ url, status: res.status }).toEqual({ url, status: 200 })
      expect({ url, active: activeContent(res.text) }).toEqual({ url, active: [] })
      pagesChecked++
    }
  })

  it('renders them inert in the admin centre, the review pages and the member\'s own views', async () => {
    const admin = await login(ctx.t.agent(), s().admin.username, s().admin.password)
    const pages = ['/admin', '/admin/members', '/admin/log', '/admin/ip-bans', '/admin/settings', '/admin/pages', '/admin/words', '/admin/categories', '/admin/boards', '/mod', '/mod/comments', '/mod/posts',
      `/admin/pages`, ...s().users.slice(0, 4).map((u) => `/admin/members/${u}`), ...s().users.slice(0, 4).map((u) => `/mod/ban/${u}`), `/portal/write/${s().articles[0] ?? 0}`, `/comments/1/edit`, `/thread/${s().threads[0] ?? 0}`]
    for (const url of pages) {
      const res = await admin.get(url)
      expect({ url, status: res.status }).toEqual({ url, status: 200 })
      expect({ url, active: activeContent(res.text) }).toEqual({ url, active: [] })
      pagesChecked++
    }
    // The visit-banned member reads the reason on every page.
    const banned = await login(ctx.t.agent(), s().banned.username, s().banned.password)
    const res = await banned.get('/')
    expect(res.status).toBe(403)
    expect(textContent(parseDocument(res.text))).toContain(XSS_CORPUS[0])
    expect(activeContent(res.text)).toEqual([])
    pagesChecked++
  })

  it('escapes them in RSS (the description is HTML a reader renders) and serves JSON as JSON', async () => {
    const parser = new XMLParser({ ignoreAttributes: false, processEntities: true })
    for (const url of ['/rss.xml', `/category/${s().category}/rss.xml`]) {
      const res = await ctx.t.agent().get(url).expect(200)
      const feed = parser.parse(res.text) as { rss?: { channel?: { title?: string, item?: Array<{ title?: string, description?: string }> } } }
      const items = feed.rss?.channel?.item ?? []
      expect(items.length).toBeGreaterThan(0)
      for (const item of items) {
        expect(activeContent(String(item.description ?? ''))).toEqual([])
        // A title is plain text in every reader: it holds the payload as text, never as markup that got through.
        expect(typeof item.title).toBe('string')
      }
      pagesChecked++
    }
    const json = await ctx.t.agent().get('/darkroom.json').expect(200)
    expect(json.headers['content-type']).toMatch(/^application\/json/)
    expect(json.headers['x-content-type-options']).toBe('nosniff')
    expect(() => JSON.parse(json.text) as unknown).not.toThrow()
    pagesChecked++
  })
})
