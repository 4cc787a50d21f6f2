import { discuzSignatureText } from '../../../lib/discuz-signature'
import { importedSignature, storeImportedSignatures } from '../../avatars'
import { afterId, countOf, type Issue, type Step } from '../runner'

interface SignatureRow { uid: number, sightml: string | null }

/** common_member_field_forum.sightml → 签名 (the avatars feature's, plain text with links). */
export const signaturesStep: Step<SignatureRow> = {
  name: 'signatures',
  count: async ({ src }) => await countOf(src.db(src.table('common_member_field_forum')).where('sightml', '<>', '')),
  read: async ({ src }, after, limit) => await src.db(src.table('common_member_field_forum')).where('sightml', '<>', '')
    .where('uid', '>', afterId(after)).orderBy('uid').limit(limit).select('uid', 'sightml'),
  keyOf: (r) => String(r.uid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<{ userId: number, text: string }> = []
    for (const r of rows) {
      const key = String(r.uid)
      if (!ctx.ids.users.has(Number(r.uid))) { issues.push({ key, kind: 'skipped', reason: `会员 uid ${r.uid} 未导入` }); continue }
      const { text, droppedImages } = discuzSignatureText(String(r.sightml ?? ''))
      if (droppedImages > 0) issues.push({ key, kind: 'changed', reason: `签名中的 ${droppedImages} 张图片未导入（签名只有文字）` })
      if (text === '') continue
      const kept = importedSignature(text)
      if (kept.replace(/\s+/g, '') !== text.replace(/\s+/g, '')) issues.push({ key, kind: 'changed', reason: '签名超过长度或行数限制，已截短' })
      out.push({ userId: Number(r.uid), text })
    }
    return { imported: out.length, issues, write: async (trx) => { await storeImportedSignatures(trx, out) } }
  }
}
