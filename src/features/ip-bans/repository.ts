import type { Knex } from 'knex'

/** Knex queries on `ip_bans` (禁止 IP). */

export interface IpBanRow {
  id: number
  range: string
  reason: string
  created_at: number
  created_by: number | null
  expires_at: number | null
  created_by_name?: string | null
}

export function ipBansRepository (db: Knex) {
  return {
    /** Every range still in force (what each process keeps in memory): a few hundred at most. */
    async active (now: number): Promise<Array<Pick<IpBanRow, 'range' | 'expires_at'>>> {
      return await db('ip_bans').where((q) => { void q.whereNull('expires_at').orWhere('expires_at', '>', now) }).select('range', 'expires_at')
    },

    /** One page of the list, newest first, keyset by id (`beforeId`). */
    async page (limit: number, beforeId?: number): Promise<IpBanRow[]> {
      const q = db('ip_bans as b').leftJoin('users as u', 'u.id', 'b.created_by')
        .select<IpBanRow[]>('b.*', 'u.username as created_by_name').orderBy('b.id', 'desc').limit(limit)
      if (beforeId !== undefined) void q.where('b.id', '<', beforeId)
      return await q
    },

    async find (id: number, trx: Knex.Transaction): Promise<IpBanRow | null> {
      const row = await trx<IpBanRow>('ip_bans').where({ id }).forUpdate().first()
      return row ?? null
    },

    async insert (row: Omit<IpBanRow, 'id' | 'created_by_name'>, trx: Knex.Transaction): Promise<number> {
      const [id] = await trx('ip_bans').insert(row)
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    },

    async remove (id: number, trx: Knex.Transaction): Promise<void> {
      await trx('ip_bans').where({ id }).delete()
    }
  }
}

export type IpBansRepository = ReturnType<typeof ipBansRepository>
