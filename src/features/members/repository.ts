import type { Knex } from 'knex'
import { isRole, type AuthUser, type BanType } from '../../lib/permissions'

export interface UserRow {
  id: number
  username: string
  username_key: string
  email: string
  email_key: string
  password_hash: string
  role: string
  created_at: number
  last_login_at: number | null
  last_post_at: number
  post_count: number
  ban_type: string | null
  ban_until: number | null
  ban_reason: string | null
}

const AUTH_COLUMNS = ['id', 'username', 'role', 'created_at', 'post_count', 'ban_type', 'ban_until', 'ban_reason'] as const

export function toAuthUser (row: Pick<UserRow, typeof AUTH_COLUMNS[number]>): AuthUser {
  const banType: BanType | null = row.ban_type === 'post' || row.ban_type === 'visit' ? row.ban_type : null
  return {
    id: row.id,
    username: row.username,
    role: isRole(row.role) ? row.role : 'member',
    createdAt: row.created_at,
    postCount: row.post_count,
    banType,
    banUntil: row.ban_until,
    banReason: row.ban_reason
  }
}

export function usersRepository (db: Knex) {
  return {
    async findAuthUser (id: number, trx?: Knex.Transaction): Promise<AuthUser | null> {
      const row = await (trx ?? db)('users').where({ id }).first(...AUTH_COLUMNS)
      return row === undefined ? null : toAuthUser(row)
    },

    async findById (id: number, trx?: Knex.Transaction): Promise<UserRow | null> {
      const row = await (trx ?? db)<UserRow>('users').where({ id }).first()
      return row ?? null
    },

    async findByLogin (login: string, trx?: Knex.Transaction): Promise<UserRow | null> {
      const key = login.trim().toLowerCase()
      const row = await (trx ?? db)<UserRow>('users').where({ username_key: key }).orWhere({ email_key: key }).first()
      return row ?? null
    },

    async insert (user: { username: string, email: string, passwordHash: string, role: string, createdAt: number }, trx?: Knex.Transaction): Promise<number> {
      const [id] = await (trx ?? db)('users').insert({
        username: user.username,
        username_key: user.username.toLowerCase(),
        email: user.email,
        email_key: user.email.toLowerCase(),
        password_hash: user.passwordHash,
        role: user.role,
        created_at: user.createdAt
      })
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    }
  }
}

export type UsersRepository = ReturnType<typeof usersRepository>
