import type { Knex } from 'knex'

/** The queries of 频道编辑: who holds a category's grants, and the member a username names. */

export interface CategoryEditorRow { user_id: number, username: string, role: string, created_at: number }
export interface MemberRow { id: number, username: string, role: string }

export function categoryEditorsRepository (db: Knex) {
  return {
    /** A category's editors, by name (a handful: the category_editors_category index serves it). */
    async list (categoryId: number): Promise<CategoryEditorRow[]> {
      const rows = await db('category_editors as e').join('users as u', 'u.id', 'e.user_id')
        .where('e.category_id', categoryId).orderBy('u.username_key')
        .select<CategoryEditorRow[]>('e.user_id', 'u.username', 'u.role', 'e.created_at')
      return rows.map((r) => ({ ...r, user_id: Number(r.user_id), created_at: Number(r.created_at) }))
    },

    /** The member a typed name means (any case, full-width folded, as the CLI reads it). */
    async memberByName (username: string, q: Knex = db): Promise<MemberRow | null> {
      const row = await q('users').where('username_key', username.normalize('NFKC').toLowerCase()).first<MemberRow | undefined>('id', 'username', 'role')
      return row === undefined ? null : { ...row, id: Number(row.id) }
    },

    async memberById (id: number, q: Knex = db): Promise<MemberRow | null> {
      const row = await q('users').where('id', id).first<MemberRow | undefined>('id', 'username', 'role')
      return row === undefined ? null : { ...row, id: Number(row.id) }
    },

    async makeEditor (userId: number, q: Knex = db): Promise<void> {
      await q('users').where({ id: userId, role: 'member' }).update({ role: 'editor' })
    }
  }
}
