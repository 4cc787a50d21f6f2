import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { HttpError } from '../../lib/http-errors'
import type { MailService } from '../mail'
import { FormError } from './service'
import { accountTokensRepository, nameKey, sessionsRepository, usersRepository, type AccountTokenRow, type TokenPurpose } from './repository'
import { hashPassword } from './password'
import { hasErrors, validatePassword, validationMessages, type FieldErrors } from './validation'

/**
 * 找回密码 and e-mail verification: single-use links. The token (32 random bytes) is only in the mail;
 * the table holds its SHA-256, so someone who reads the table cannot use an open link.
 */

export const RESET_TTL_SECONDS = 30 * 60
export const VERIFY_TTL_SECONDS = 48 * 3600
/** Reset mails per address per hour, verification mails per member per hour: a stranger cannot flood an inbox. */
export const RESET_PER_ADDRESS_PER_HOUR = 3
export const VERIFY_PER_HOUR = 3
const CLEANUP_EVERY_SECONDS = 3600

export const linkMessages = {
  invalidLink: '链接无效或已过期，请重新申请',
  resetSent: '如果该 Email 地址已注册，我们已向它发送了重设密码的链接（30 分钟内有效）。没有收到请检查垃圾邮件，或稍后再试',
  resetDone: '密码已重设，您已登录；在其他设备上的登录已退出',
  verifySent: '验证邮件已发送，请查收并点击其中的链接（48 小时内有效）',
  verifyTooOften: '验证邮件发送太频繁，请稍后再试',
  verified: 'Email 地址已验证，谢谢！',
  alreadyVerified: '您的 Email 地址已经验证过了'
} as const

export function hashToken (token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex')
}

/** A token as it appears in links: 43 URL-safe characters. Anything else is refused before any query. */
export function isTokenShape (token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

export interface AccountLinksDeps {
  db: Knex
  clock: Clock
  mail: Pick<MailService, 'enqueue'>
  bcryptCost: number
  /** The site's name, for mail subjects (read in the caller's transaction: SQLite has one connection). */
  siteName: (trx?: Knex.Transaction) => Promise<string>
}

export function accountLinksService ({ db, clock, mail, bcryptCost, siteName }: AccountLinksDeps) {
  const users = usersRepository(db)
  const tokens = accountTokensRepository(db)
  const sessions = sessionsRepository(db)
  let lastCleanup = 0

  async function issue (trx: Knex.Transaction, userId: number, purpose: TokenPurpose, email: string, ttl: number): Promise<string> {
    const token = crypto.randomBytes(32).toString('base64url')
    const now = clock.now()
    await tokens.insert({ user_id: userId, purpose, token_hash: hashToken(token), email, created_at: now, expires_at: now + ttl }, trx)
    if (now - lastCleanup >= CLEANUP_EVERY_SECONDS) {
      lastCleanup = now
      await tokens.deleteExpired(now - 86400, trx)
    }
    return token
  }

  /** An open link of the purpose, or null (unknown, used, expired). */
  async function openToken (token: string, purpose: TokenPurpose, trx?: Knex.Transaction): Promise<AccountTokenRow | null> {
    if (!isTokenShape(token)) return null
    const row = await tokens.findByHash(hashToken(token), trx)
    if (row === null || row.purpose !== purpose || row.used_at !== null || row.expires_at <= clock.now()) return null
    return row
  }

  /**
   * Queues a verification mail for the member's current address, in `trx` (registration and an e-mail
   * change call it in theirs). `origin`: the site's absolute address for the link.
   */
  async function sendVerification (trx: Knex.Transaction, userId: number, email: string, username: string, origin: string): Promise<void> {
    const token = await issue(trx, userId, 'verify', email, VERIFY_TTL_SECONDS)
    const name = await siteName(trx)
    const link = `${origin}/email/verify/${token}`
    await mail.enqueue(trx, {
      to: email,
      subject: `【${name}】请验证您的 Email 地址`,
      text: `${username}，您好：\n\n请点击下面的链接验证您在${name}的 Email 地址（48 小时内有效）：\n\n${link}\n\n如果您没有在${name}注册或修改 Email，请忽略这封邮件。\n`
    })
  }

  return {
    sendVerification,

    /** The member asked for the mail again (the settings page, the post refusal's link): limited per hour. */
    async resendVerification (userId: number, origin: string): Promise<'sent' | 'verified' | 'too-often'> {
      const user = await users.findById(userId)
      if (user === null) throw new HttpError(404, '用户不存在')
      if (user.email_verified_at !== null) return 'verified'
      if (await tokens.countSince(userId, 'verify', clock.now() - 3600) >= VERIFY_PER_HOUR) return 'too-often'
      await db.transaction(async (trx) => {
        await sendVerification(trx, user.id, user.email, user.username, origin)
      })
      return 'sent'
    },

    /** Follows a verification link: the address it was sent to is confirmed if it is still the member's. */
    async verifyEmail (token: string): Promise<number> {
      return await db.transaction(async (trx) => {
        const row = await openToken(token, 'verify', trx)
        if (row === null || !await tokens.use(row.id, clock.now(), trx)) throw new HttpError(400, linkMessages.invalidLink)
        if (!await users.markEmailVerified(row.user_id, row.email, clock.now(), trx)) throw new HttpError(400, linkMessages.invalidLink)
        return row.user_id
      })
    },

    /**
     * 找回密码: queues a reset link when the address belongs to an account that may log in, at most
     * RESET_PER_ADDRESS_PER_HOUR an hour. Says nothing either way: the page answers the same for every
     * address (who is registered is not told).
     */
    async requestPasswordReset (email: string, origin: string): Promise<void> {
      const address = email.trim()
      if (address === '' || address.length > 300 || !address.includes('@')) return
      const user = await users.findByLogin(address)
      if (user === null || user.email_key !== nameKey(address) || user.locked_at !== null) return
      if (await tokens.countSince(user.id, 'reset', clock.now() - 3600) >= RESET_PER_ADDRESS_PER_HOUR) return
      const name = await siteName()
      await db.transaction(async (trx) => {
        const token = await issue(trx, user.id, 'reset', user.email, RESET_TTL_SECONDS)
        const link = `${origin}/password/reset/${token}`
        await mail.enqueue(trx, {
          to: user.email,
          subject: `【${name}】重设密码`,
          text: `${user.username}，您好：\n\n有人（希望是您）申请重设您在${name}的密码。请在 30 分钟内点击下面的链接设置新密码（链接只能使用一次）：\n\n${link}\n\n如果不是您本人操作，请忽略这封邮件，您的密码不会改变。\n`
        })
      })
    },

    /** Whether a reset link is open (the form is shown only for one). */
    async resetLinkOpen (token: string): Promise<boolean> {
      return await openToken(token, 'reset') !== null
    },

    /**
     * Sets the new password from a reset link: the link is spent (a conditional UPDATE: two tabs
     * cannot both use it), every session of the member ends, and the member's id is returned for the
     * route to log this browser in. Following the mailed link proves the address, so it is verified too.
     */
    async resetPassword (token: string, input: { password: string, password2: string }): Promise<number> {
      const errors: FieldErrors<'password' | 'password2'> = {}
      const p = validatePassword(input.password)
      if (p !== null) errors.password = p
      else if (input.password !== input.password2) errors.password2 = validationMessages.passwordMismatch
      if (await openToken(token, 'reset') === null) throw new HttpError(400, linkMessages.invalidLink)
      if (hasErrors(errors)) throw new FormError(errors)
      const hash = await hashPassword(input.password, bcryptCost)
      return await db.transaction(async (trx) => {
        const row = await openToken(token, 'reset', trx)
        if (row === null || !await tokens.use(row.id, clock.now(), trx)) throw new HttpError(400, linkMessages.invalidLink)
        await users.updatePasswordHash(row.user_id, hash, trx)
        await tokens.voidOpen(row.user_id, 'reset', clock.now(), trx)
        await sessions.deleteAllOfUser(row.user_id, trx)
        await users.markEmailVerified(row.user_id, row.email, clock.now(), trx)
        return row.user_id
      })
    }
  }
}

export type AccountLinks = ReturnType<typeof accountLinksService>
