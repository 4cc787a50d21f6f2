import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { HttpError } from '../../lib/http-errors'
import { isUniqueViolation } from '../../db/knex'
import type { Role } from '../../lib/permissions'
import { loginAttemptsRepository, sessionsRepository, usersRepository, type UserRow } from './repository'
import { hashPassword, needsRehash, verifyPassword } from './password'
import { normalizeUsername } from '../../lib/username-skeleton'
import {
  hasErrors, validateEmail, validatePassword, validateRegistration, validationMessages,
  type FieldErrors, type RegistrationInput
} from './validation'

export const messages = {
  loginFailed: '登录失败，用户名或密码错误',
  loginMissing: '请输入用户名和密码',
  loginLocked: '密码错误次数过多，请 15 分钟后重新登录',
  oldPasswordWrong: '原密码不正确',
  passwordChanged: '密码已修改，您在其他设备上的登录已退出',
  emailChanged: 'Email 地址已修改',
  emailUnchanged: '新 Email 与当前 Email 相同',
  mustChangePassword: '管理员已重置您的密码，请先设置一个新密码（原密码填写管理员告知的临时密码）',
  accountLocked: '该账号已被管理员锁定，无法登录。如有疑问，请联系网站管理员'
} as const

/** 5 failures for one account or one IP within 15 minutes lock both for 15 minutes. */
export const LOGIN_MAX_FAILURES = 5
export const LOGIN_WINDOW_SECONDS = 15 * 60
const ATTEMPT_CLEANUP_EVERY_MS = 60 * 1000
/** How long an attempt waits for attempts in flight (a bcrypt check each, ~250 ms at cost 12) before it is refused. */
const LOGIN_TURN_WAIT_MS = 3000
const LOGIN_TURN_POLL_MS = 50

/** A form that failed: field → Chinese message. Routes render it beside the fields with a 400. */
export class FormError extends Error {
  constructor (readonly fields: Readonly<Partial<Record<string, string>>>) {
    super('form has errors')
    this.name = 'FormError'
  }
}

export interface MembersServiceDeps {
  db: Knex
  clock: Clock
  /** bcrypt's cost for new hashes (BCRYPT_COST). */
  bcryptCost: number
  /**
   * Queues the verification mail for an address to confirm, in the caller's transaction (account-links.ts:
   * handed in, so this file and that one do not import each other).
   */
  sendVerification?: (trx: Knex.Transaction, userId: number, email: string, username: string, origin: string) => Promise<void>
}

/** Where a registration or an e-mail change comes from: the site's origin for the verification link. */
export interface VerifyOptions {
  /** Absent: the address is taken as confirmed (the CLI, seeds); set: a link is mailed to it. */
  verifyOrigin?: string
}

export function membersService ({ db, clock, bcryptCost, sendVerification }: MembersServiceDeps) {
  const options = { bcryptCost }
  const users = usersRepository(db)
  const sessions = sessionsRepository(db)
  const attempts = loginAttemptsRepository(db)
  let lastAttemptCleanup = 0
  // Compared against when the name does not exist, so a wrong name takes as long as a wrong password
  // (the response time must not tell which accounts exist). Made once, at the configured cost.
  let dummyHash: Promise<string> | null = null

  async function cleanupAttempts (): Promise<void> {
    // Opportunistic: whichever process records a failure removes expired rows, at most once a minute.
    if (clock.nowMs() - lastAttemptCleanup < ATTEMPT_CLEANUP_EVERY_MS) return
    lastAttemptCleanup = clock.nowMs()
    await attempts.deleteOlderThan(clock.now() - LOGIN_WINDOW_SECONDS)
  }

  /**
   * Returns (the attempt's row id) once this attempt may be checked; throws the 429 lock (and forgets
   * the attempt: a refused attempt is not a failure, so retrying does not prolong the lock) when 5
   * failures are already there,
   * or when more than 5 attempts stay in flight for longer than LOGIN_TURN_WAIT_MS. Attempts in flight
   * are waited for rather than refused at once: members behind one NAT logging in together must not
   * lock each other out, and a success removes its row within a bcrypt's time.
   */
  async function waitForTurn (accountKey: string, ipHash: string, firstId: number, now: number): Promise<number> {
    let attemptId = firstId
    for (let waited = 0; ; ) {
      const c = await attempts.countSince(accountKey, ipHash, now - LOGIN_WINDOW_SECONDS)
      const locked = c.account.failed >= LOGIN_MAX_FAILURES || c.ip.failed >= LOGIN_MAX_FAILURES
      if (!locked && c.account.total <= LOGIN_MAX_FAILURES && c.ip.total <= LOGIN_MAX_FAILURES) return attemptId
      await attempts.remove(attemptId)
      if (locked || waited >= LOGIN_TURN_WAIT_MS) throw new HttpError(429, messages.loginLocked)
      // Too many in flight: step back (the row removed, so the others may now fit), wait a random while
      // so the waiters do not all come back together, and come in again as a new attempt.
      const pause = LOGIN_TURN_POLL_MS + Math.floor(Math.random() * 2 * LOGIN_TURN_POLL_MS)
      await sleep(pause)
      waited += pause
      attemptId = await attempts.record(accountKey, ipHash, now)
    }
  }

  /** Which of username/e-mail is taken, for a clear message after a unique-index race. */
  async function duplicateErrors (username: string | null, email: string, exceptUserId: number | null): Promise<FieldErrors<'username' | 'email'>> {
    const errors: FieldErrors<'username' | 'email'> = {}
    if (username !== null && await users.usernameTaken(username)) errors.username = validationMessages.usernameTaken
    else if (username !== null && await users.lookAlikeTaken(username)) errors.username = validationMessages.usernameLookAlike
    if (await users.emailTaken(email, exceptUserId)) errors.email = validationMessages.emailTaken
    return errors
  }

  return {
    /**
     * Creates a member after every rule of the registration form (the CLI uses it too).
     * Throws FormError with per-field messages; a duplicate that slips past the check and
     * hits the unique index (two people registering the same name at once) is a FormError too.
     */
    async register (input: RegistrationInput, role: Role = 'member', verify: VerifyOptions = {}): Promise<number> {
      // NFKC first: every rule, the stored name and the look-alike key see the same characters.
      const username = normalizeUsername(input.username)
      const email = input.email.trim()
      const errors = validateRegistration({ ...input, username, email })
      if (errors.username === undefined && await users.usernameTaken(username)) errors.username = validationMessages.usernameTaken
      // A name that reads the same as an existing one (Cyrillic а for Latin a, rn for m): the unique
      // skeleton column refuses it too, so two such registrations at once cannot both pass.
      else if (errors.username === undefined && await users.lookAlikeTaken(username)) errors.username = validationMessages.usernameLookAlike
      if (errors.email === undefined && await users.emailTaken(email)) errors.email = validationMessages.emailTaken
      if (hasErrors(errors)) throw new FormError(errors)
      const passwordHash = await hashPassword(input.password, options.bcryptCost)
      try {
        const origin = verify.verifyOrigin
        if (origin === undefined || sendVerification === undefined) {
          return await users.insert({ username, email, passwordHash, role, createdAt: clock.now(), emailVerifiedAt: clock.now() })
        }
        // The account and its verification mail commit together: no account without its link.
        return await db.transaction(async (trx) => {
          const id = await users.insert({ username, email, passwordHash, role, createdAt: clock.now(), emailVerifiedAt: null }, trx)
          await sendVerification(trx, id, email, username, origin)
          return id
        })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        const dup = await duplicateErrors(username, email, null)
        throw new FormError(hasErrors(dup) ? dup : { username: validationMessages.usernameTaken })
      }
    },

    /**
     * Checks a username-or-e-mail and password; returns the member or throws a 400 (or 429 when locked).
     * Failures are counted per account and per IP hash in `login_attempts`, shared by all instances.
     */
    async authenticate (login: string, password: string, ipHash: string): Promise<UserRow> {
      if (login.trim() === '' || password === '') throw new HttpError(400, messages.loginMissing)
      const user = await users.findByLogin(login)
      const accountKey = user !== null ? `uid:${user.id}` : `login:${login.trim().toLowerCase().slice(0, 180)}`
      const now = clock.now()
      // Counted before it is checked: the attempt is written first, then the window is counted with it
      // included. Checking first and recording after bcrypt let 20 parallel guesses all pass the check.
      // Each count runs after its own row committed, so it sees every attempt committed before it: of any
      // 6 attempts let through, the last to commit saw the other 5, so at most LOGIN_MAX_FAILURES
      // unjudged-or-failed attempts reach bcrypt per window, on any number of processes and on both
      // dialects (one autocommit INSERT, then plain reads).
      const attemptId = await waitForTurn(accountKey, ipHash, await attempts.record(accountKey, ipHash, now), now)
      dummyHash ??= hashPassword('not-a-real-password', options.bcryptCost)
      let ok = false
      try {
        if (user !== null) ok = await verifyPassword(password, user.password_hash)
        else await verifyPassword(password, await dummyHash)
      } catch (err) {
        await attempts.remove(attemptId) // not judged: it must not stay "in flight" for the whole window
        throw err
      }
      if (!ok || user === null) {
        await attempts.markFailed(attemptId)
        await cleanupAttempts()
        throw new HttpError(400, messages.loginFailed)
      }
      await attempts.clearAccount(accountKey)
      await attempts.remove(attemptId) // counted against the IP while in flight; a success is no failure
      // Told only after the right password: a stranger learns nothing of which accounts are locked.
      if (user.locked_at !== null) throw new HttpError(403, messages.accountLocked)
      // A hash imported from Discuz is replaced by ours on the first login that proves the password.
      if (needsRehash(user.password_hash)) await users.rehashPassword(user.id, await hashPassword(password, options.bcryptCost))
      await users.touchLogin(user.id, now)
      return user
    },

    /** Changes the password (the old one is asked for) and ends the member's other sessions. */
    async changePassword (userId: number, currentSessionId: string, input: { oldPassword: string, password: string, password2: string }): Promise<void> {
      const user = await users.findById(userId)
      if (user === null) throw new HttpError(404, '用户不存在')
      const errors: FieldErrors<'oldPassword' | 'password' | 'password2'> = {}
      if (!await verifyPassword(input.oldPassword, user.password_hash)) errors.oldPassword = messages.oldPasswordWrong
      const p = validatePassword(input.password)
      if (p !== null) errors.password = p
      else if (input.password !== input.password2) errors.password2 = validationMessages.passwordMismatch
      if (hasErrors(errors)) throw new FormError(errors)
      const hash = await hashPassword(input.password, options.bcryptCost)
      await db.transaction(async (trx) => {
        await users.updatePasswordHash(userId, hash, trx)
        // Anyone who learnt the old password and logged in elsewhere is logged out now.
        await sessions.deleteOthersOfUser(userId, currentSessionId, trx)
      })
    },

    /** Changes the e-mail address after checking the current password (a borrowed session must not take the account). */
    async changeEmail (userId: number, input: { email: string, password: string }, verify: VerifyOptions = {}): Promise<void> {
      const user = await users.findById(userId)
      if (user === null) throw new HttpError(404, '用户不存在')
      const email = input.email.trim()
      const errors: FieldErrors<'email' | 'emailPassword'> = {}
      const e = validateEmail(email)
      if (e !== null) errors.email = e
      else if (email.toLowerCase() === user.email_key) errors.email = messages.emailUnchanged
      else if (await users.emailTaken(email, userId)) errors.email = validationMessages.emailTaken
      if (!await verifyPassword(input.password, user.password_hash)) errors.emailPassword = messages.oldPasswordWrong
      if (hasErrors(errors)) throw new FormError(errors)
      try {
        const origin = verify.verifyOrigin
        await db.transaction(async (trx) => {
          await users.updateEmail(userId, email, trx)
          // The new address is unverified until its link is followed (the old one's links are void: they name the old address).
          if (origin !== undefined && sendVerification !== undefined) await sendVerification(trx, userId, email, user.username, origin)
          else await users.markEmailVerified(userId, email, clock.now(), trx)
        })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        throw new FormError({ email: validationMessages.emailTaken })
      }
    },

    /** The member's e-mail address as stored (the settings page shows it), or '' when the account is gone. */
    async emailOf (userId: number): Promise<string> {
      return (await users.findById(userId))?.email ?? ''
    },

    /** Where mail for the member goes (the notification digest): address, name, whether confirmed; null when gone or no address. */
    async mailRecipient (userId: number): Promise<{ email: string, username: string, verified: boolean } | null> {
      const user = await users.findById(userId)
      if (user === null || user.email === '') return null
      return { email: user.email, username: user.username, verified: user.email_verified_at !== null }
    },

    /** Whether the member's current address is confirmed (false for an account that is gone). */
    async emailVerified (userId: number): Promise<boolean> {
      return ((await users.findById(userId))?.email_verified_at ?? null) !== null
    },

    /**
     * Whether a login for `login` from `ipHash` must pass the captcha: `threshold` failures (0: never)
     * for the account or from the address in the lockout window.
     */
    async loginNeedsCaptcha (login: string, ipHash: string, threshold: number): Promise<boolean> {
      if (threshold <= 0) return false
      const user = login.trim() === '' ? null : await users.findByLogin(login)
      const accountKey = user !== null ? `uid:${user.id}` : `login:${login.trim().toLowerCase().slice(0, 180)}`
      const c = await attempts.countSince(accountKey, ipHash, clock.now() - LOGIN_WINDOW_SECONDS)
      return c.account.failed >= threshold || c.ip.failed >= threshold
    },

    /** A member's id by name (Discuz's space-username-NAME.html), or null. */
    async idByUsername (username: string): Promise<number | null> {
      return (await users.findByUsername(username))?.id ?? null
    },

    async setRole (username: string, role: Role): Promise<UserRow | null> {
      const user = await users.findByUsername(username)
      if (user === null) return null
      await users.setRole(user.id, role)
      return user
    }
  }
}

export type MembersService = ReturnType<typeof membersService>
