import type { Knex } from 'knex'
import type supertest from 'supertest'
import { csrfFrom, login, type TestApp } from '../helpers/app'
import { banUser, createArticle, createCategory, createUser, type CreatedUser } from '../helpers/factories'
import { createBoard, createGroupWithBoard } from '../forum/factories'

/**
 * Who asks, in the order of an access table row. `member` is someone else than the resource's author
 * (`owner`): the pair checks "own resource / someone else's". The editors and board moderators come in
 * pairs too: one granted the resource's category or board, one granted another.
 */
export const ACTORS = ['guest', 'member', 'owner', 'postBanned', 'visitBanned', 'editorHere', 'editorElsewhere', 'moderator', 'boardMod', 'boardModElsewhere', 'admin'] as const
export type Actor = typeof ACTORS[number]

/** The ids a path in the access table names as `{name}`. */
export interface Resources {
  category: number
  board: number
  spareCategory: number
  spareBoard: number
  article: number
  comment: number
  thread: number
  post: number
  page: number
  pageSlug: string
  word: number
  ipBan: number
  victim: number
  editor: number
}

export interface Cast {
  users: Record<Exclude<Actor, 'guest'>, CreatedUser>
  category: number
  otherCategory: number
  group: number
  board: number
  otherBoard: number
}

let serial = 0
const now = (): number => Math.floor(Date.now() / 1000)

/** The members of every actor, their grants and bans: once per database. */
export async function createCast (db: Knex): Promise<Cast> {
  const category = await createCategory(db, { name: '本频道' })
  const otherCategory = await createCategory(db, { name: '别的频道' })
  const { groupId, boardId } = await createGroupWithBoard(db, { boardName: '本版' })
  const otherBoard = await createBoard(db, { parentId: groupId, name: '别的版' })
  const make = async (name: string, role: CreatedUser['role'] = 'member'): Promise<CreatedUser> => await createUser(db, { username: name, role })
  const users = {
    member: await make('a_member'),
    owner: await make('a_owner'),
    postBanned: await make('a_postban'),
    visitBanned: await make('a_visitban'),
    editorHere: await make('a_edhere', 'editor'),
    editorElsewhere: await make('a_edelse', 'editor'),
    moderator: await make('a_mod', 'moderator'),
    boardMod: await make('a_bmod'),
    boardModElsewhere: await make('a_bmodelse'),
    admin: await make('a_admin', 'admin')
  }
  await banUser(db, users.postBanned.id, { type: 'post', until: null, reason: '测试禁言' })
  await banUser(db, users.visitBanned.id, { type: 'visit', until: null, reason: '测试禁访' })
  await db('category_editors').insert([
    { user_id: users.editorHere.id, category_id: category, created_at: now() },
    { user_id: users.editorElsewhere.id, category_id: otherCategory, created_at: now() }
  ])
  await db('board_moderators').insert([
    { user_id: users.boardMod.id, board_id: boardId, created_at: now() },
    { user_id: users.boardModElsewhere.id, board_id: otherBoard, created_at: now() }
  ])
  return { users, category, otherCategory, group: groupId, board: boardId, otherBoard }
}

/**
 * A fresh set of things to act on: written straight to the tables (cheaper than forms, and the matrix
 * makes one after every cell that was allowed to change something).
 */
export async function createResources (db: Knex, cast: Cast): Promise<Resources> {
  serial++
  const at = now() - 3600
  const spareCategory = await createCategory(db, { name: `备用频道${serial}` })
  const spareBoard = await createBoard(db, { parentId: cast.group, name: `备用版${serial}` })
  const article = await createArticle(db, { categoryId: cast.category, authorId: cast.users.editorHere.id, title: `矩阵文章${serial}` })
  const [comment] = await db('comments').insert({ article_id: article, author_id: cast.users.owner.id, status: 'visible', body: '楼主的评论', created_at: at, list_position: 1 })
  const [thread] = await db('threads').insert({ board_id: cast.board, author_id: cast.users.owner.id, title: `矩阵主题${serial}`, reply_count: 1, last_position: 2, created_at: at, last_post_at: at, last_poster_id: cast.users.owner.id, last_poster_name: cast.users.owner.username })
  await db('posts').insert({ thread_id: Number(thread), author_id: cast.users.owner.id, position: 1, body: '楼主正文', created_at: at })
  const [post] = await db('posts').insert({ thread_id: Number(thread), author_id: cast.users.owner.id, position: 2, body: '一条回复', created_at: at })
  const pageSlug = `page${serial}`
  const [page] = await db('pages').insert({ slug: pageSlug, title: '关于', body: '原文', body_html: '<p>原文</p>', render_version: 1, created_at: at, updated_at: at, updated_by: null })
  const [word] = await db('word_filters').insert({ word: `坏词${serial}`, word_key: `坏词${serial}`, action: 'block', replacement: '**', created_at: at, updated_at: at })
  // One address per serial (198.18.0.0/15, the benchmarking range): a long fuzz run makes thousands of resources.
  const [ipBan] = await db('ip_bans').insert({ range: `198.${18 + ((serial >> 16) & 1)}.${(serial >> 8) & 255}.${serial & 255}`, reason: '测试', created_at: at })
  const victim = await createUser(db, { username: `victim${serial}` })
  const editor = await createUser(db, { username: `granted${serial}`, role: 'editor' })
  await db('category_editors').insert({ user_id: editor.id, category_id: spareCategory, created_at: at })
  return { category: cast.category, board: cast.board, spareCategory, spareBoard, article, comment: Number(comment), thread: Number(thread), post: Number(post), page: Number(page), pageSlug, word: Number(word), ipBan: Number(ipBan), victim: victim.id, editor: editor.id }
}

/** A path of the access table with its `{name}`s filled in. */
export function fillPath (pattern: string, resources: Resources): string {
  return pattern.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = (resources as unknown as Record<string, string | number | undefined>)[name]
    if (value === undefined) throw new Error(`access table: no resource {${name}} (test/security/fixtures.ts Resources)`)
    return String(value)
  })
}

/** A browser per actor: logged in, with a CSRF token of its session. */
export interface Session { agent: supertest.Agent, token: string }

export async function openSession (t: TestApp, cast: Cast, actor: Actor): Promise<Session> {
  const agent = t.agent()
  if (actor !== 'guest') {
    const user = cast.users[actor]
    await login(agent, user.username, user.password)
  }
  // Every member page carries the header's logout form; a visit-banned member sees only the ban page.
  const page = await agent.get(actor === 'guest' ? '/login' : '/')
  return { agent, token: csrfFrom(page.text) }
}

/** Row counts of every table of ours but the ones a refused request may rightly write. */
export async function rowCounts (db: Knex, ignore: readonly string[] = ['sessions', 'login_attempts', 'knex_migrations', 'knex_migrations_lock']): Promise<Record<string, number>> {
  const isMysql = db.client.config.client === 'mysql2'
  const rows = isMysql
    ? (await db.raw('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()'))[0] as Array<{ name: string }>
    : await db.raw<Array<{ name: string }>>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
  const tables = rows.map((r) => r.name).filter((n) => !ignore.includes(n)).sort()
  const union = tables.map((n) => `SELECT '${n}' AS t, COUNT(*) AS n FROM ${isMysql ? `\`${n}\`` : `"${n}"`}`).join(' UNION ALL ')
  const result = await db.raw(union)
  const counted = (isMysql ? result[0] : result) as Array<{ t: string, n: number | string }>
  return Object.fromEntries(counted.map((r) => [r.t, Number(r.n)]))
}
