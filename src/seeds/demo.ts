import crypto from 'node:crypto'
import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import type { AppConfig } from '../config'
// TODO(house): through the forum feature's index.ts once it has one (another engineer is building it).
import { seedForumDemo } from '../features/forum/demo'
import { seedDemoPages } from '../features/pages/demo'
import { isUniqueViolation } from '../db/knex'
import { DEMO_ARTICLES, DEMO_CATEGORIES, DEMO_COMMENTS, DEMO_EDITOR, DEMO_MEMBERS, DEMO_PICTURE_PREFIX, DEMO_SETTINGS, type DemoCategory } from './demo-content'
import { usernameSkeleton } from '../lib/username-skeleton'
import { formatSiteDateTime } from '../lib/article-form'
import { fixedTimeZone } from '../lib/time-zone'
import type { AuthUser, Role } from '../lib/permissions'
import { portalService, publishingService, articleSearchSource, ARTICLE_REACTION_KEYS, type PublishingService } from '../features/portal'
import { forumSearchSources } from '../features/forum'
import { reindex } from '../features/search'
import { uploadsService } from '../features/uploads/service'
import { LocalDiskStorage, type UploadStorage } from '../features/uploads/storage'
import { DEMO_PICTURE_KEYS, demoPictureJpeg, type DemoPictureKey } from './demo-pictures'

/**
 * The demo site's seeding: a composition root like app.ts, so it may use features and plugins (the forum's
 * demo half, the settings' keys), which src/db/ (the database layer below them) may not.
 */

export interface FirstRunAdmin { username: string, password: string }

export interface SeedDemoOptions {
  /** Where the demo pictures are stored: the app's storage (local disk under UPLOADS_DIR by default). */
  storage?: UploadStorage
  /** Unix seconds the seed counts from (tests with a test clock); the wall clock by default. */
  now?: number
}

const DAY = 86400

/** ~12 characters nobody can guess; printed once by the server or the CLI. */
function randomPassword (): string {
  return crypto.randomBytes(9).toString('base64url')
}

async function insertUser (trx: Knex.Transaction, fields: { username: string, email: string, role: Role, password: string, createdAt: number }, bcryptCost: number): Promise<number> {
  const [id] = await trx('users').insert({
    username: fields.username,
    username_key: fields.username.toLowerCase(),
    username_skeleton: usernameSkeleton(fields.username),
    email: fields.email,
    email_key: fields.email.toLowerCase(),
    password_hash: await bcrypt.hash(fields.password, bcryptCost),
    role: fields.role,
    created_at: fields.createdAt,
    // The demo accounts' addresses are taken as confirmed (example.com receives nothing).
    email_verified_at: fields.createdAt
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
 * tree, a few members (one an editor of 美食), an admin with a random password, a dozen original
 * Chinese articles written through the publishing service with pictures drawn in code and stored
 * through the upload service (one article of two pages, one scheduled a few days ahead), comments and
 * reactions with their counters, and the forum. Returns that admin, or null if the database was not empty.
 */
export async function seedDemo (knex: Knex, config: AppConfig, options: SeedDemoOptions = {}): Promise<FirstRunAdmin | null> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const storage = options.storage ?? new LocalDiskStorage(config.uploadsDir)
  // Drawn before the transaction opens, all at once (sharp works on its own threads): the seed's slow part.
  await Promise.all(DEMO_PICTURE_KEYS.map(demoPictureJpeg))
  try {
    const admin = await seedInTransaction(knex, config, now, storage)
    // The demo's rows are written without an app (no app.siteSearch to follow them): index them once, as search:reindex does.
    if (admin !== null) await reindex(knex, [articleSearchSource(), ...forumSearchSources()], 500, () => {})
    return admin
  } catch (err) {
    // Two processes seeding one empty MySQL database at once (two containers starting together):
    // both saw no users, the second hits the unique key on `admin` and its transaction rolls back.
    // The site is seeded either way, so the loser reports "not empty" instead of crashing.
    if (isUniqueViolation(err)) return null
    throw err
  }
}

async function seedInTransaction (knex: Knex, config: AppConfig, now: number, storage: UploadStorage): Promise<FirstRunAdmin | null> {
  return await knex.transaction(async (trx) => {
    // Checked inside the transaction so that a failed seed leaves nothing behind and can be re-run.
    const existing = await trx('users').first('id')
    if (existing !== undefined) return null

    for (const [key, value] of Object.entries(DEMO_SETTINGS)) {
      await trx('settings').insert({ key, value }).onConflict('key').merge()
    }

    const admin: FirstRunAdmin = { username: 'admin', password: randomPassword() }
    const adminCreated = now - 60 * DAY
    const adminId = await insertUser(trx, { username: admin.username, email: 'admin@example.com', role: 'admin', password: admin.password, createdAt: adminCreated }, config.bcryptCost)
    const members: AuthUser[] = []
    for (const member of DEMO_MEMBERS) {
      // Demo accounts: nobody needs their passwords, so they get random ones that are never shown.
      const createdAt = now - member.daysAgo * DAY
      const id = await insertUser(trx, { ...member, password: randomPassword(), createdAt }, config.bcryptCost)
      members.push(authUser(id, member.username, member.role, createdAt))
    }

    const categoryIds = new Map<string, number>()
    await insertCategories(trx, DEMO_CATEGORIES, null, categoryIds)
    const categoryOf = (key: string): number => {
      const id = categoryIds.get(key)
      if (id === undefined) throw new Error(`the demo names an unknown category "${key}"`)
      return id
    }

    // The services the editor's pages use, built over this transaction: the articles are saved through
    // the same checks, rendering (pages, cover) and rules as /portal/write, the pictures through storeImage.
    const portal = portalService({ db: trx, nowMs: () => now * 1000, cache: { countCacheMs: 0, articleCacheMs: 0 } })
    const publishing = publishingService({
      db: trx,
      timeZone: fixedTimeZone(config.siteTimezone),
      categoryTree: async () => await portal.forReader('primary').categoryTree(),
      // Only creations below: nothing changes status or category, so nothing is audited.
      audit: async () => {},
      // The pictures' sizes go into the bodies' <img> as they do for an editor (uploads is built just below).
      imageSizes: async (urls) => await uploads.imageSizes(urls)
    })
    const uploads = uploadsService({ db: trx, clock: { now: () => now, nowMs: () => now * 1000 }, storage, maxBytes: async () => 5 * 1024 * 1024 })
    const pictureUrls = new Map<DemoPictureKey, string>()
    for (const key of DEMO_PICTURE_KEYS) {
      pictureUrls.set(key, (await uploads.storeImage(await demoPictureJpeg(key), { purpose: 'article', userId: adminId })).mediumUrl)
    }

    const adminUser = authUser(adminId, admin.username, 'admin', adminCreated)
    const editor = members.find((m) => m.username === DEMO_EDITOR)
    const editorGrants = new Set<number>()
    for (const key of DEMO_MEMBERS.find((m) => m.username === DEMO_EDITOR)?.grants ?? []) {
      if (editor !== undefined) await publishing.grant(editor.id, categoryOf(key), now)
      editorGrants.add(categoryOf(key))
    }

    const articleIds: number[] = []
    for (const [index, article] of DEMO_ARTICLES.entries()) {
      const categoryId = categoryOf(article.categoryKey)
      // Spread over the day too, so that no two articles share a publication time (minutes: the form's precision).
      const publishedAt = now - article.daysAgo * DAY - (index + 1) * 3600
      // The editor writes in the categories granted to them, the admin everywhere else.
      const byEditor = editor !== undefined && editorGrants.has(categoryId)
      const actor = { user: byEditor ? editor : adminUser, grants: byEditor ? editorGrants : new Set<number>(), now: Math.min(now, publishedAt) }
      const id = await writeArticle(publishing, actor, {
        title: article.title,
        categoryId: String(categoryId),
        summary: article.summary,
        sourceName: article.sourceName,
        sourceUrl: article.sourceUrl,
        originalAuthor: '',
        body: article.body.replace(new RegExp(`${DEMO_PICTURE_PREFIX}([a-z]+)`, 'g'), (whole, key: DemoPictureKey) => pictureUrls.get(key) ?? whole),
        allowComments: true,
        status: 'published',
        publishAt: formatSiteDateTime(publishedAt, config.siteTimezone)
      })
      // Readers so far (the publishing service starts every article at 0).
      if (article.views > 0) await trx('articles').where({ id }).update({ views: article.views })
      if (article.daysAgo > 0) articleIds.push(id)
    }

    await seedReadersResponses(trx, portal, articleIds, members.map((m) => m.id), now)
    // The forum half: boards, threads and replies by the members above.
    await seedForumDemo(knex, trx, config.siteTimezone)
    await seedThreadViews(trx)
    await seedDemoPages(trx, now, adminId)
    return admin
  })
}

function authUser (id: number, username: string, role: Role, createdAt: number): AuthUser {
  return { id, username, role, createdAt, postCount: 0, banType: null, banUntil: null, banReason: null }
}

async function writeArticle (publishing: PublishingService, actor: Parameters<PublishingService['create']>[0], input: Parameters<PublishingService['create']>[1]): Promise<number> {
  const result = await publishing.create(actor, input)
  // The demo's own text failing the editor's checks is a bug in demo-content.ts: say which field.
  if (result.kind !== 'saved') throw new Error(`demo article "${input.title}" was refused: ${JSON.stringify(result.kind === 'invalid' ? result.errors : result.kind)}`)
  return result.id
}

/**
 * Comments and reactions from the demo members on every published demo article but the oldest: rows
 * first, then each article's counters set to the rows' count, so comments:reconcile and
 * reactions:reconcile find nothing to fix.
 */
async function seedReadersResponses (trx: Knex.Transaction, portal: ReturnType<typeof portalService>, articleIds: number[], memberIds: number[], now: number): Promise<void> {
  const articles = await trx('articles').whereIn('id', articleIds).orderBy('published_at', 'desc').select<Array<{ id: number, published_at: number }>>('id', 'published_at')
  let said = 0
  for (const [index, article] of articles.slice(0, -1).entries()) {
    const publishedAt = Number(article.published_at)
    // Between one and three comments, each by another member, spread over the time since publication.
    const comments = 1 + (index % 3)
    for (let i = 0; i < comments; i++) {
      await trx('comments').insert({
        article_id: article.id,
        author_id: memberIds[(index + i) % memberIds.length],
        status: 'visible',
        body: DEMO_COMMENTS[said++ % DEMO_COMMENTS.length],
        created_at: publishedAt + Math.floor(((i + 1) * (now - publishedAt)) / (comments + 2)),
        // Its place in the article's list (oldest first), as the comments service numbers a new one.
        list_position: i + 1
      })
    }
    await portal.setCommentCount(article.id, comments)

    const counts = new Map<string, number>()
    const reactors = 2 + (index % (memberIds.length - 1))
    for (let i = 0; i < reactors; i++) {
      const kind = ARTICLE_REACTION_KEYS[(index + i * 2) % ARTICLE_REACTION_KEYS.length] ?? 'luguo'
      await trx('reactions').insert({ article_id: article.id, user_id: memberIds[(index + i) % memberIds.length], kind, created_at: publishedAt + 600 * (i + 1) })
      counts.set(kind, (counts.get(kind) ?? 0) + 1)
    }
    for (const key of ARTICLE_REACTION_KEYS) {
      if (counts.has(key)) await portal.setReactionCount(article.id, key, counts.get(key) ?? 0)
    }
  }
}

/** 查看 counts for the demo threads (a thread read by nobody looks dead): more for the ones with more replies. */
async function seedThreadViews (trx: Knex.Transaction): Promise<void> {
  const threads = await trx('threads').orderBy('id').select<Array<{ id: number, reply_count: number }>>('id', 'reply_count')
  for (const [i, t] of threads.entries()) {
    await trx('threads').where({ id: t.id }).update({ views: 40 + Number(t.reply_count) * 57 + i * 23 })
  }
}
