import type { Knex } from 'knex'

/** member_avatars: the storage keys of a member's three avatar sizes. */

export interface AvatarRow { user_id: number, small_key: string, middle_key: string, big_key: string, updated_at: number }

export function avatarsRepository (db: Knex) {
  return {
    async get (userId: number): Promise<AvatarRow | undefined> {
      return await db<AvatarRow>('member_avatars').where({ user_id: userId }).first()
    },

    async set (row: AvatarRow): Promise<void> {
      await db('member_avatars').insert(row).onConflict('user_id').merge(['small_key', 'middle_key', 'big_key', 'updated_at'])
    },

    async remove (userId: number): Promise<number> {
      return await db('member_avatars').where({ user_id: userId }).delete()
    },

    async username (userId: number): Promise<string | null> {
      const row = await db('users').where({ id: userId }).first<{ username: string } | undefined>('username')
      return row?.username ?? null
    }
  }
}
