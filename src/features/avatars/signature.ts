import type { Knex } from 'knex'
import { updateByIds } from '../../db/bulk-update'
import { badRequest } from '../../lib/http-errors'
import { normalizeSignature, SIGNATURE_MAX } from '../../lib/signature'

/**
 * 签名: plain text (links become links when shown), at most SIGNATURE_MAX characters, through the site's
 * word list: blocked or review words refuse it (a signature has no review queue), replace words are
 * replaced. Kept on the member row (users.signature) so the forum reads it with the floor's author.
 */

export const signatureMessages = {
  tooLong: `签名不能超过 ${SIGNATURE_MAX} 个字符`,
  badWords: '签名包含不允许使用的内容，请修改后再保存'
} as const

export interface WordScan { blocked: readonly string[], moderated: readonly string[], text: string }

export function signatures (db: Knex, scanWords: (text: string) => Promise<WordScan>) {
  return {
    async get (userId: number): Promise<string> {
      const row = await db('users').where({ id: userId }).first<{ signature: string } | undefined>('signature')
      return row?.signature ?? ''
    },

    /** Saves the member's signature ('' removes it); returns what was stored. */
    async set (userId: number, raw: string): Promise<string> {
      const text = normalizeSignature(raw.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ''))
      if ([...text].length > SIGNATURE_MAX) throw badRequest(signatureMessages.tooLong)
      const scan = text === '' ? { blocked: [], moderated: [], text } : await scanWords(text)
      if (scan.blocked.length > 0 || scan.moderated.length > 0) throw badRequest(signatureMessages.badWords)
      if ([...scan.text].length > SIGNATURE_MAX) throw badRequest(signatureMessages.tooLong)
      await db('users').where({ id: userId }).update({ signature: scan.text })
      return scan.text
    }
  }
}

export type Signatures = ReturnType<typeof signatures>

/**
 * Signatures written in bulk inside the caller's transaction (the Discuz importer): normalized and cut
 * to SIGNATURE_MAX like `set`, one UPDATE per batch. No word scan: Discuz ran its own word list over a
 * signature when it was saved, and an import has no one to show a refusal to (the caller reports cuts).
 */
export async function storeImportedSignatures (trx: Knex.Transaction, rows: ReadonlyArray<{ userId: number, text: string }>): Promise<void> {
  await updateByIds(trx, 'users', rows.map((r) => ({ id: r.userId, values: { signature: importedSignature(r.text) } })))
}

/** What `storeImportedSignatures` keeps of a text: the caller compares it to report a cut. */
export function importedSignature (raw: string): string {
  return [...normalizeSignature(raw.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ''))].slice(0, SIGNATURE_MAX).join('').trim()
}
