import type { Knex } from 'knex'

/** The `pages` table (单页). Each method takes an optional transaction. */

export interface PageRow {
  id: number
  slug: string
  title: string
  body: string
  body_html: string
  render_version: number
  created_at: number
  updated_at: number
  updated_by: number | null
}

export interface PageListRow { id: number, slug: string, title: string, updated_at: number, updated_by_name: string | null }

export interface PageWrite { slug: string, title: string, body: string, body_html: string, render_version: number, updated_at: number, updated_by: number }

export function pagesRepository (db: Knex) {
  return {
    async bySlug (slug: string, trx?: Knex.Transaction): Promise<PageRow | undefined> {
      return await (trx ?? db)('pages').where('slug', slug).first<PageRow | undefined>()
    },

    async byId (id: number, trx?: Knex.Transaction): Promise<PageRow | undefined> {
      const q = (trx ?? db)('pages').where('id', id)
      // Locked for the edit or delete that read it, so two admins' saves apply one after the other.
      if (trx !== undefined) void q.forUpdate()
      return await q.first<PageRow | undefined>()
    },

    /** Ordered by slug, `limit` after `afterSlug` (keyset: no OFFSET however many pages there are). */
    async list (limit: number, afterSlug?: string): Promise<PageListRow[]> {
      const q = db('pages as p').leftJoin('users as u', 'u.id', 'p.updated_by')
        .select<PageListRow[]>('p.id', 'p.slug', 'p.title', 'p.updated_at', 'u.username as updated_by_name')
        .orderBy('p.slug').limit(limit)
      if (afterSlug !== undefined) void q.where('p.slug', '>', afterSlug)
      return await q
    },

    async insert (page: PageWrite & { created_at: number }, trx: Knex.Transaction): Promise<number> {
      const [id] = await trx('pages').insert(page)
      return Number(id)
    },

    async update (id: number, page: PageWrite, trx: Knex.Transaction): Promise<void> {
      await trx('pages').where('id', id).update(page)
    },

    async remove (id: number, trx: Knex.Transaction): Promise<void> {
      await trx('pages').where('id', id).del()
    }
  }
}

export type PagesRepository = ReturnType<typeof pagesRepository>
