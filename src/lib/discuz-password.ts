import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * UCenter's older password format: md5(md5(password) . salt), hex, with a 6-character salt. PHP hashes
 * the password's bytes as the browser sent them (UTF-8), so a non-ASCII password is hashed as UTF-8.
 * We store it as `$discuz-md5$<salt>$<32 hex>` so it can never be taken for one of our bcrypt hashes;
 * bcrypt hashes from X3.5 (`$2y$…`, empty salt) are stored as they are.
 */

const PREFIX = '$discuz-md5$'
const STORED = /^\$discuz-md5\$([^$]{1,32})\$([0-9a-f]{32})$/

const md5hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex')

export function discuzMd5 (password: string, salt: string): string {
  return md5hex(Buffer.from(md5hex(Buffer.from(password, 'utf8')) + salt, 'utf8'))
}

/**
 * The hash to keep for a UCenter member (`password`, `salt` of `ucenter_members`), or null when it is
 * neither format (the member then has to reset the password: reported by the importer).
 */
export function storedDiscuzHash (password: string, salt: string): string | null {
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(password)) return password
  const hex = password.toLowerCase()
  if (/^[0-9a-f]{32}$/.test(hex) && salt.length > 0 && salt.length <= 32 && !salt.includes('$')) return `${PREFIX}${salt}$${hex}`
  return null
}

export function isDiscuzMd5Hash (stored: string): boolean {
  return STORED.test(stored)
}

/** Whether `password` matches a stored `$discuz-md5$` hash, compared in constant time. */
export function verifyDiscuzMd5 (password: string, stored: string): boolean {
  const m = STORED.exec(stored)
  if (m === null) return false
  const expected = Buffer.from(m[2] ?? '', 'latin1')
  const actual = Buffer.from(discuzMd5(password, m[1] ?? ''), 'latin1')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
