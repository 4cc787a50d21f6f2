import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import type { Role } from '../../src/lib/permissions'
import { articleRenderColumns } from '../../src/lib/article-render'
import { usernameSkeleton } from '../../src/lib/username-skeleton'

let counter = 0
const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const ARTICLE_AGE_SECONDS = 600

export interface CreatedUser { id: number, username: string, password: string, role: Role }

export async function createUser (db: Knex, fields: { username?: string, password?: string, role?: Role, createdAt?: number, email?: string } = {}): Promise<CreatedUser> {
  counter++
  const username = fields.username ?? `user${process.pid % 1000}_${counter}`
  const password = fields.password ?? 'password123'
  const role = fields.role ?? 'member'
  const email = fields.email ?? `${username.toLowerCase()}@example.com`
  const [id] = await db('users').insert({
    username,
    username_key: username.toLowerCase(),
    username_skeleton: usernameSkeleton(username),
    email,
    email_key: email.toLowerCase(),
    password_hash: await bcrypt.hash(password, 4),
    role,
    // Old enough by default that new-member rules (first minutes, first day) do not apply.
    created_at: fields.createdAt ?? nowSeconds() - 30 * 86400,
    // Verified, as accounts from before e-mail verification are (test/members/verification.test.ts makes unverified ones).
    email_verified_at: fields.createdAt ?? nowSeconds() - 30 * 86400
  })
  return { id: Number(id), username, password, role }
}

export async function createCategory (db: Knex, fields: { name?: string, parentId?: number | null, allowComments?: boolean } = {}): Promise<number> {
  counter++
  const [id] = await db('categories').insert({
    name: fields.name ?? `分类${counter}`,
    parent_id: fields.parentId ?? null,
    display_order: counter,
    allow_comments: fields.allowComments ?? true
  })
  return Number(id)
}

export async function createArticle (db: Knex, fields: { categoryId: number, authorId: number, title?: string, summary?: string, body?: string, status?: string, publishedAt?: number, views?: number, allowComments?: boolean }): Promise<number> {
  counter++
  // Ten minutes back: the test app's clock is frozen when the app is built, and on a loaded machine a
  // file's setup can take minutes; an article dated after that clock would be "scheduled" (a 404).
  const at = fields.publishedAt ?? nowSeconds() - ARTICLE_AGE_SECONDS - counter
  const body = fields.body ?? '第一段。\n\n第二段。'
  const [id] = await db('articles').insert({
    category_id: fields.categoryId,
    author_id: fields.authorId,
    title: fields.title ?? `测试文章 ${counter}`,
    summary: fields.summary ?? '这是一段测试摘要。',
    source_name: '本站',
    source_url: '',
    body,
    // Stored rendered, as every article written by the app is (a row without its render is a pre-migration one).
    ...articleRenderColumns(body),
    status: fields.status ?? 'published',
    allow_comments: fields.allowComments ?? true,
    published_at: at,
    updated_at: at,
    views: fields.views ?? 0
  })
  return Number(id)
}

/**
 * A ban written straight to the user's row (what the moderation form ends in), for tests of what a banned
 * member may do; `until: null` is a ban without end. The moderation tests go through the form instead.
 */
export async function banUser (db: Knex, userId: number, ban: { type: 'post' | 'visit', until: number | null, reason?: string }): Promise<void> {
  await db('users').where({ id: userId }).update({ ban_type: ban.type, ban_until: ban.until, ...(ban.reason !== undefined ? { ban_reason: ban.reason } : {}) })
}
