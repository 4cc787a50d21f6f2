import crypto from 'node:crypto'
import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import type { AppConfig } from '../config'
// TODO(house): through the forum feature's index.ts once it has one (another engineer is building it).
import { seedForumDemo } from '../features/forum/demo'
import { seedDemoPages } from '../features/pages/demo'
import { articleRenderColumns } from '../lib/article-render'
import { isUniqueViolation } from '../db/knex'
import { DEMO_ARTICLES, DEMO_CATEGORIES, DEMO_MEMBERS, DEMO_SETTINGS, type DemoCategory } from './demo-content'
import { usernameSkeleton } from '../lib/username-skeleton'

/**
 * The demo site's seeding: a composition root like app.ts, so it may use features and plugins (the forum's
 * demo half, the settings' keys), which src/db/ (the database layer below them) may not.
 */

export interface FirstRunAdmin { username: string, password: string }

const DAY = 86400

/** ~12 characters nobody can guess; printed once by the server or the CLI. */
function randomPassword (): string {
  return crypto.randomBytes(9).toString('base64url')
}

async function insertUser (trx: Knex.Transaction, fields: { username: string, email: string, role: string, password: string, createdAt: number }, bcryptCost: number): Promise<number> {
  const [id] = await trx('users').insert({
    username: fields.username,
    username_key: fields.username.toLowerCase(),
    username_skeleton: usernameSkeleton(fields.username),
    email: fields.email,
    email_key: fields.email.toLowerCase(),
    password_hash: await bcrypt.hash(fields.password, bcryptCost),
    role: fields.role,
    created_at: fields.createdAt
  })
  return Number(id)
}

async function insertCategories (trx: Knex.Transaction, categories: DemoCategory[], parentId: number | null, idsByKey: Map<string, number>): Promise<void> {
  for (const [index, category] of categories.entries()) {
    const [id] = await trx('categories').insert({
      parent_id: parentId,
      name: category.name,
      description: category.description,
      // Gaps of ten leave room to slot a category in between from the admin pages.
      display_order: (index + 1) * 10
    })
    idsByKey.set(category.key, Number(id))
    await insertCategories(trx, category.children ?? [], Number(id), idsByKey)
  }
}

/**
 * Seeds the demo site into an empty database (no members yet): settings, a two-level category
 * tree, about ten original Chinese articles with images from static/img/demo/, a few members and
 * an admin with a random password. Returns that admin, or null if the database was not empty.
 */
export async function seedDemo (knex: Knex, config: AppConfig): Promise<FirstRunAdmin | null> {
  const now = Math.floor(Date.now() / 1000)
  try {
    return await seedInTransaction(knex, config, now)
  } catch (err) {
    // Two processes seeding one empty MySQL database at once (two containers starting together):
    // both saw no users, the second hits the unique key on `admin` and its transaction rolls back.
    // The site is seeded either way, so the loser reports "not empty" instead of crashing.
    if (isUniqueViolation(err)) return null
    throw err
  }
}

async function seedInTransaction (knex: Knex, config: AppConfig, now: number): Promise<FirstRunAdmin | null> {
  return await knex.transaction(async (trx) => {
    // Checked inside the transaction so that a failed seed leaves nothing behind and can be re-run.
    const existing = await trx('users').first('id')
    if (existing !== undefined) return null

    for (const [key, value] of Object.entries(DEMO_SETTINGS)) {
      await trx('settings').insert({ key, value }).onConflict('key').merge()
    }

    const admin: FirstRunAdmin = { username: 'admin', password: randomPassword() }
    const adminId = await insertUser(trx, { username: admin.username, email: 'admin@example.com', role: 'admin', password: admin.password, createdAt: now - 60 * DAY }, config.bcryptCost)
    const authorIds = [adminId]
    for (const member of DEMO_MEMBERS) {
      // Demo accounts: nobody needs their passwords, so they get random ones that are never shown.
      authorIds.push(await insertUser(trx, { ...member, password: randomPassword(), createdAt: now - member.daysAgo * DAY }, config.bcryptCost))
    }

    const categoryIds = new Map<string, number>()
    await insertCategories(trx, DEMO_CATEGORIES, null, categoryIds)

    for (const [index, article] of DEMO_ARTICLES.entries()) {
      const categoryId = categoryIds.get(article.categoryKey)
      if (categoryId === undefined) throw new Error(`demo article "${article.title}" names an unknown category "${article.categoryKey}"`)
      // Spread over the day too, so that no two articles share a publication time.
      const publishedAt = now - article.daysAgo * DAY - (index + 1) * 3600
      await trx('articles').insert({
        category_id: categoryId,
        author_id: authorIds[index % authorIds.length] ?? adminId,
        title: article.title,
        summary: article.summary,
        source_name: article.sourceName,
        source_url: article.sourceUrl,
        body: article.body,
        // Rendered once here, like any body written: the article page never parses Markdown.
        ...articleRenderColumns(article.body),
        status: 'published',
        published_at: publishedAt,
        updated_at: publishedAt,
        views: article.views
      })
    }
    // The forum half: boards, threads and replies by the members above.
    await seedForumDemo(knex, trx, config.siteTimezone)
    await seedDemoPages(trx, now, adminId)
    return admin
  })
}
