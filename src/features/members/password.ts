import bcrypt from 'bcrypt'
import { isDiscuzMd5Hash, verifyDiscuzMd5 } from '../../lib/discuz-password'

export async function hashPassword (password: string, cost: number): Promise<string> {
  return await bcrypt.hash(password, cost)
}

/**
 * Our bcrypt hashes, and the two formats a member imported from Discuz may still have (import:discuz
 * keeps them as UCenter stored them): PHP's `$2y$` bcrypt — the same algorithm as `$2b$`, only the
 * prefix differs, and node's bcrypt reads `$2b$` — and `$discuz-md5$` (src/lib/discuz-password.ts).
 */
export async function verifyPassword (password: string, hash: string): Promise<boolean> {
  if (isDiscuzMd5Hash(hash)) return verifyDiscuzMd5(password, hash)
  if (!hash.startsWith('$2')) return false
  return await bcrypt.compare(password, hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash)
}

/** Whether a hash that just verified should be replaced by ours (an imported Discuz hash). */
export function needsRehash (hash: string): boolean {
  return isDiscuzMd5Hash(hash) || hash.startsWith('$2y$')
}
