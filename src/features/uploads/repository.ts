import type { Knex } from 'knex'

export interface UploadRow {
  id: number
  user_id: number | null
  purpose: string
  hash: string
  mime: string
  width: number
  height: number
  bytes: number
  created_at: number
}

export type NewUpload = Omit<UploadRow, 'id'>

function isDuplicateKey (err: unknown): boolean {
  const e = err as { code?: string, message?: string }
  return e.code === 'ER_DUP_ENTRY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || (e.message ?? '').includes('UNIQUE constraint failed')
}

export function uploadsRepository (db: Knex) {
  return {
    async byHash (hash: string, trx?: Knex.Transaction): Promise<UploadRow | undefined> {
      return await (trx ?? db)<UploadRow>('uploads').where('hash', hash).first()
    },

    /** Width and height of the pictures with these hashes (on the hash's unique index). */
    async sizesByHash (hashes: readonly string[]): Promise<Array<Pick<UploadRow, 'hash' | 'width' | 'height'>>> {
      if (hashes.length === 0) return []
      return await db<UploadRow>('uploads').whereIn('hash', hashes).select('hash', 'width', 'height')
    },

    async byId (id: number): Promise<UploadRow | undefined> {
      return await db<UploadRow>('uploads').where('id', id).first()
    },

    /**
     * Inserts a row, or returns the row already there for the same hash: two uploads of one picture at
     * once both end with the one row (the unique key decides, not a check before the insert).
     */
    async insertOrExisting (row: NewUpload): Promise<UploadRow> {
      try {
        const [id] = await db('uploads').insert(row)
        return { ...row, id: Number(id) }
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        const existing = await db<UploadRow>('uploads').where('hash', row.hash).first()
        if (existing === undefined) throw err
        return existing
      }
    }
  }
}
