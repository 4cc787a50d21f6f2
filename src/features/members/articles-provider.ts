import type { Knex } from 'knex'
import type { ProfileProvider } from './profile'

/**
 * 文章数 and the latest published articles on a member's profile.
 *
 * TODO(house): this reads the portal's `articles` table, which only the portal feature should. It belongs
 * in the portal feature: its index should add this provider itself, once its service has the two reads,
 * `app.portal.countPublishedByAuthor(uid)` and `app.portal.latestByAuthor(uid, 5)`:
 *
 *   app.memberProfiles.addProvider({ name: 'articles', stats: …countPublishedByAuthor…, recent: …latestByAuthor… })
 *
 * and this file and its registration in ./index.ts go. It stays here meanwhile because the portal
 * feature is being rebuilt in parallel and has no such service yet; the profile page must keep its counts.
 */
export function articlesProvider (db: Knex): ProfileProvider {
  return {
    name: 'articles',
    async stats (userId) {
      const row = await db('articles').where({ author_id: userId, status: 'published' }).count<Array<{ n: number | string }>>({ n: '*' }).first()
      return [{ label: '文章数', value: Number(row?.n ?? 0), order: 10 }]
    },
    async recent (userId) {
      const rows = await db<{ id: number, title: string, published_at: number, author_id: number, status: string }>('articles')
        .where({ author_id: userId, status: 'published' })
        .orderBy('published_at', 'desc').limit(5).select('id', 'title', 'published_at')
      if (rows.length === 0) return null
      return { title: '最新文章', order: 10, items: rows.map((r) => ({ title: r.title, url: `/article/${r.id}`, at: r.published_at })) }
    }
  }
}
