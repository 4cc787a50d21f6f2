import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import { createArticle, createCategory } from '../helpers/factories'
import { createGroupWithBoard } from '../forum/factories'
import { usernameSkeleton } from '../../src/lib/username-skeleton'
import { migrationConfig } from '../../src/db/knex'

export const PASSWORD = 'password123'

export interface FaultSite { category: number, articles: number[], boardId: number, threads: number[], members: string[], guestUrls: string[] }

/**
 * A small site on a fresh database of the test's own MariaDB (migrated here, seeded as the load test
 * seeds): articles, a board with threads, members who can log in, view dedupe off, a short flood interval.
 */
export async function seedFaultSite (db: Knex, sizes: { articles: number, threads: number, members: number, floodSeconds: number }): Promise<FaultSite> {
  await db.migrate.latest(migrationConfig)
  const now = Math.floor(Date.now() / 1000)
  await db('settings').insert([{ key: 'view_dedupe_hours', value: '0' }, { key: 'flood_interval', value: String(sizes.floodSeconds) }, { key: 'new_member_flood_interval', value: String(sizes.floodSeconds) }]).onConflict('key').merge()
  const hash = await bcrypt.hash(PASSWORD, 4)
  const [admin] = await db('users').insert({ username: 'faultadmin', username_key: 'faultadmin', username_skeleton: usernameSkeleton('faultadmin'), email: 'fa@example.com', email_key: 'fa@example.com', password_hash: hash, role: 'admin', created_at: now - 86400 * 30 })
  const category = await createCategory(db)
  const articles: number[] = []
  for (let i = 0; i < sizes.articles; i++) articles.push(await createArticle(db, { categoryId: category, authorId: Number(admin) }))
  const { boardId } = await createGroupWithBoard(db)
  const threads: number[] = []
  for (let i = 0; i < sizes.threads; i++) {
    const [t] = await db('threads').insert({ board_id: boardId, author_id: Number(admin), title: `故障主题${i}`, reply_count: 0, last_position: 1, created_at: now - 3600, last_post_at: now - 3600, last_poster_id: Number(admin), last_poster_name: 'faultadmin' })
    await db('posts').insert({ thread_id: Number(t), author_id: Number(admin), position: 1, body: '楼主', created_at: now - 3600 })
    threads.push(Number(t))
  }
  const members = Array.from({ length: sizes.members }, (_v, i) => `fault${i}`)
  await db('users').insert(members.map((name) => ({ username: name, username_key: name, username_skeleton: usernameSkeleton(name), email: `${name}@example.com`, email_key: `${name}@example.com`, password_hash: hash, role: 'member', created_at: now - 86400 * 30 })))
  const guestUrls = ['', 'forum', `category/${category}`, 'archiver/', `forum/${boardId}`, 'darkroom', ...articles.map((a) => `article/${a}`), ...articles.slice(0, 3).map((a) => `article/${a}/comments`), ...threads.map((t) => `thread/${t}`)]
  return { category, articles, boardId, threads, members, guestUrls }
}
