import type { Knex } from 'knex'
import { isUniqueViolation } from '../../db/knex'

/** `captcha_used`: hashes of solved challenges' signatures, each kept until its challenge expires. */
export function captchaRepository (db: Knex) {
  return {
    /** Records a use; false when it was used before (the primary key refuses the second insert). */
    async markUsed (signatureHash: string, expiresAt: number): Promise<boolean> {
      try {
        await db('captcha_used').insert({ signature_hash: signatureHash, expires_at: expiresAt })
        return true
      } catch (err) {
        if (isUniqueViolation(err)) return false
        throw err
      }
    },

    async deleteExpired (now: number): Promise<number> {
      return await db('captcha_used').where('expires_at', '<', now).delete()
    }
  }
}
