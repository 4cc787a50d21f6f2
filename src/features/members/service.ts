import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { HttpError } from '../../lib/http-errors'
import { usersRepository, type UserRow } from './repository'
import { verifyPassword } from './password'

export const messages = {
  loginFailed: '登录失败，用户名或密码错误',
  loginMissing: '请输入用户名和密码'
} as const

export function membersService (db: Knex, clock: Clock) {
  const users = usersRepository(db)
  return {
    /** Checks a username-or-e-mail and password; returns the member or throws a 400 with a message. */
    async authenticate (login: string, password: string): Promise<UserRow> {
      if (login.trim() === '' || password === '') throw new HttpError(400, messages.loginMissing)
      const user = await users.findByLogin(login)
      const ok = user !== null && await verifyPassword(password, user.password_hash)
      if (!ok || user === null) throw new HttpError(400, messages.loginFailed)
      await db('users').where({ id: user.id }).update({ last_login_at: clock.now() })
      return user
    }
  }
}
