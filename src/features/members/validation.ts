import { isRole, type Role } from '../../lib/permissions'
import { discuzLength } from '../../lib/discuz-length'

/**
 * Validation rules for member data, shared by the web forms and the CLI (`user:create`), so an
 * account made on the command line obeys the same rules as one made in the browser.
 * Each function returns a Chinese message, or null when the value is fine.
 */

export const USERNAME_MIN = 3
export const USERNAME_MAX = 15
export const PASSWORD_MIN = 8
/** bcrypt only looks at the first 72 bytes; a longer limit would silently ignore the rest. */
export const PASSWORD_MAX_BYTES = 72
export const EMAIL_MAX = 191

export const validationMessages = {
  usernameEmpty: '请输入用户名',
  usernameLength: `用户名长度应为 ${USERNAME_MIN}-${USERNAME_MAX} 个字符（一个汉字算两个字符）`,
  usernameChars: '用户名不能包含空格或以下字符：% , * " < > & ( ) \' @',
  usernameReserved: '用户名包含被系统屏蔽的字符（不能包含“游客”，不能以 Guest 开头）',
  usernameTaken: '该用户名已被注册',
  usernameLookAlike: '该用户名与已有用户名过于相似',
  passwordShort: `密码太短，至少需要 ${PASSWORD_MIN} 个字符`,
  passwordLong: `密码太长，最多 ${PASSWORD_MAX_BYTES} 个字节`,
  passwordMismatch: '两次输入的密码不一致',
  emailEmpty: '请输入 Email 地址',
  emailInvalid: 'Email 地址无效',
  emailTaken: '该 Email 地址已被注册',
  roleInvalid: '用户组无效，应为 admin、moderator、editor 或 member'
} as const

/** A username's length as Discuz counts it (src/lib/discuz-length.ts): a CJK character counts as two. */
export const usernameLength = discuzLength

// Discuz's censor list for names: whitespace (any kind, incl. full-width space) and these punctuation marks.
// Also '@': members log in with a username or an e-mail, so a name must never look like someone's address.
const FORBIDDEN_USERNAME_CHARS = /[\s\u3000%,*"<>&()'@]/u
// Control characters would make names that look identical.
const CONTROL_CHARS = /\p{Cc}|\p{Cf}/u

export function validateUsername (username: string): string | null {
  if (username === '') return validationMessages.usernameEmpty
  if (FORBIDDEN_USERNAME_CHARS.test(username) || CONTROL_CHARS.test(username)) return validationMessages.usernameChars
  const len = usernameLength(username)
  if (len < USERNAME_MIN || len > USERNAME_MAX) return validationMessages.usernameLength
  if (username.includes('游客') || username.toLowerCase().startsWith('guest')) return validationMessages.usernameReserved
  return null
}

export function validatePassword (password: string): string | null {
  if ([...password].length < PASSWORD_MIN) return validationMessages.passwordShort
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return validationMessages.passwordLong
  return null
}

// Deliberately simple: one @, no spaces, a dot in the domain, no empty labels. The real check is a mail.
const EMAIL_PATTERN = /^[^\s@<>()"',;]+@[^\s@<>()"',;.]+(\.[^\s@<>()"',;.]+)+$/u

export function validateEmail (email: string): string | null {
  if (email === '') return validationMessages.emailEmpty
  if (email.length > EMAIL_MAX || !EMAIL_PATTERN.test(email)) return validationMessages.emailInvalid
  return null
}

export function validateRole (role: string): Role | null {
  return isRole(role) ? role : null
}

/** Field name → message; empty when everything is fine. */
export type FieldErrors<F extends string> = Partial<Record<F, string>>

export interface RegistrationInput { username: string, password: string, password2: string, email: string }

/** Every rule of the registration form that does not need the database. */
export function validateRegistration (input: RegistrationInput): FieldErrors<keyof RegistrationInput> {
  const errors: FieldErrors<keyof RegistrationInput> = {}
  const u = validateUsername(input.username)
  if (u !== null) errors.username = u
  const p = validatePassword(input.password)
  if (p !== null) errors.password = p
  else if (input.password !== input.password2) errors.password2 = validationMessages.passwordMismatch
  const e = validateEmail(input.email)
  if (e !== null) errors.email = e
  return errors
}

export function hasErrors (errors: Record<string, string | undefined>): boolean {
  return Object.values(errors).some((v) => v !== undefined)
}
