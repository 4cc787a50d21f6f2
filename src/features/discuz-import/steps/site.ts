import fs from 'node:fs/promises'
import path from 'node:path'
import { FOOTER_LABEL_MAX, isFooterUrl, MAX_FOOTER_LINKS } from '../../../lib/site-settings-form'
import { normalizeWord } from '../../../lib/word-filter'
import { afterId, countOf, type Issue, type Step } from '../runner'
import { plainName } from './portal'

interface SettingRow { skey: string, svalue: string | null }

/**
 * common_setting's site name and ICP number, and the footer from common_nav (navtype 1). Discuz's
 * `siteurl` is not a setting here: SITE_URL is the environment's (reported for the owner to set).
 */
export const settingsStep: Step<SettingRow> = {
  name: 'settings',
  batch: 100000,
  count: async () => 1,
  // One pass: the keys are read by name, so there is nothing to page through.
  read: async ({ src }, after) => after !== '' ? [] : await src.db(src.table('common_setting')).whereIn('skey', ['bbname', 'icp', 'siteurl', 'sitename']).select('skey', 'svalue'),
  keyOf: () => 'done',
  async map (ctx, rows) {
    const issues: Issue[] = []
    const value = (k: string): string => String(rows.find((r) => r.skey === k)?.svalue ?? '').trim()
    const settings: Record<string, string> = {}
    const name = plainName(value('bbname') || value('sitename'), 40)
    if (name !== '') settings.site_name = name
    if (value('icp') !== '') settings.site_icp = value('icp').slice(0, 40)
    if (value('siteurl') !== '') issues.push({ key: 'siteurl', kind: 'changed', reason: `站点地址 ${value('siteurl').slice(0, 200)} 请设为环境变量 SITE_URL` })
    const nav = await ctx.src.db(ctx.src.table('common_nav')).where({ navtype: 1, available: 1 }).orderBy([{ column: 'displayorder' }, { column: 'id' }])
      .select<Array<{ id: number, name: string, url: string }>>('id', 'name', 'url')
    const links: Array<{ label: string, url: string }> = []
    for (const n of nav) {
      const label = plainName(n.name, FOOTER_LABEL_MAX)
      const raw = String(n.url ?? '').trim()
      const url = /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('/') ? raw : `/${raw}`
      if (label === '' || !isFooterUrl(url) || links.length >= MAX_FOOTER_LINKS) {
        issues.push({ key: `nav:${n.id}`, kind: 'skipped', reason: links.length >= MAX_FOOTER_LINKS ? `底部链接超过 ${MAX_FOOTER_LINKS} 个` : '底部链接的名称或地址不可用' })
        continue
      }
      links.push({ label, url })
    }
    if (nav.length > 0) settings.footer_links = JSON.stringify(links)
    return {
      imported: Object.keys(settings).length,
      issues,
      write: async (trx) => {
        const entries = Object.entries(settings).map(([key, value]) => ({ key, value }))
        if (entries.length > 0) await trx('settings').insert(entries).onConflict('key').merge()
      }
    }
  }
}

interface WordRow { id: number, find: string, replacement: string | null }

/** common_word: {BANNED} blocks, {MOD} sends to review, anything else replaces. */
export const wordsStep: Step<WordRow> = {
  name: 'words',
  count: async ({ src }) => await countOf(src.db(src.table('common_word'))),
  read: async ({ src }, after, limit) => await src.db(src.table('common_word')).where('id', '>', afterId(after)).orderBy('id').limit(limit).select('id', 'find', 'replacement'),
  keyOf: (r) => String(r.id),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    const seen = new Set<string>()
    for (const r of rows) {
      const word = String(r.find ?? '').trim()
      const key = normalizeWord(word).slice(0, 100)
      // Discuz takes /regular expressions/ too; our filter matches words, so those are listed, not guessed.
      if (/^\/.*\/[a-z]*$/i.test(word)) { issues.push({ key: String(r.id), kind: 'skipped', reason: '正则表达式词语无法导入' }); continue }
      if (key === '' || word.length > 100) { issues.push({ key: String(r.id), kind: 'skipped', reason: '词语为空或超过 100 字' }); continue }
      if (seen.has(key)) { issues.push({ key: String(r.id), kind: 'skipped', reason: '与前面的词语重复' }); continue }
      seen.add(key)
      const replacement = String(r.replacement ?? '')
      const action = replacement === '{BANNED}' ? 'block' : replacement === '{MOD}' ? 'moderate' : 'replace'
      out.push({ word, word_key: key, action, replacement: action === 'replace' ? replacement.slice(0, 100) : '**', created_by: null, created_at: ctx.now, updated_at: ctx.now })
    }
    return { imported: out.length, issues, write: async (trx) => { for (let i = 0; i < out.length; i += 400) await trx('word_filters').insert(out.slice(i, i + 400)).onConflict('word_key').ignore() } }
  }
}

interface ForumAttachmentRow { aid: number, tableid: number }

/** The relative path is Discuz's (`202311/05/abc.jpg`); anything climbing out of the folder is refused. */
export function safeRelativePath (p: string): string | null {
  const clean = p.replace(/\\/g, '/')
  if (clean === '' || clean.startsWith('/') || clean.split('/').some((s) => s === '..' || s === '' || s === '.')) return null
  return /^[\w./-]+$/.test(clean) ? clean : null
}

async function copyInto (from: string, to: string): Promise<'copied' | 'missing'> {
  try {
    await fs.mkdir(path.dirname(to), { recursive: true })
    await fs.copyFile(from, to)
    return 'copied'
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'missing'
    throw err
  }
}

/** Forum attachment files into UPLOADS_DIR/discuz/forum/<Discuz's path>, where /data/attachment/forum/… serves them. */
export const forumAttachmentsStep: Step<ForumAttachmentRow> = {
  name: 'forum-files',
  count: async ({ src }) => await countOf(src.db(src.table('forum_attachment'))),
  read: async ({ src }, after, limit) => await src.db(src.table('forum_attachment')).where('aid', '>', afterId(after)).orderBy('aid').limit(limit).select('aid', 'tableid'),
  keyOf: (r) => String(r.aid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    if (ctx.attachmentsDir === null) return { imported: 0, issues: rows.map((r) => ({ key: String(r.aid), kind: 'skipped' as const, reason: '未给出 --attachments 目录' })), write: async () => {} }
    const byTable = new Map<number, number[]>()
    for (const r of rows) byTable.set(r.tableid, [...(byTable.get(r.tableid) ?? []), r.aid])
    let copied = 0
    for (const [table, aids] of byTable) {
      if (table < 0 || table > 9) { issues.push(...aids.map((aid) => ({ key: String(aid), kind: 'skipped' as const, reason: `附件表 ${table} 不存在` }))); continue }
      const details = await ctx.src.db(ctx.src.table(`forum_attachment_${table}`)).whereIn('aid', aids).select<Array<{ aid: number, attachment: string, remote: number }>>('aid', 'attachment', 'remote')
      for (const d of details) {
        const rel = safeRelativePath(String(d.attachment))
        if (Number(d.remote) !== 0) { issues.push({ key: String(d.aid), kind: 'skipped', reason: '远程附件（在 FTP/云存储上）未复制' }); continue }
        if (rel === null) { issues.push({ key: String(d.aid), kind: 'skipped', reason: '附件路径不安全' }); continue }
        if (ctx.dryRun) { copied++; continue }
        // Copied outside the transaction: a file copied twice after a kill is the same file.
        const result = await copyInto(path.join(ctx.attachmentsDir, 'forum', rel), path.join(ctx.uploadsDir, 'discuz', 'forum', rel))
        if (result === 'missing') issues.push({ key: String(d.aid), kind: 'skipped', reason: '附件文件不存在' })
        else copied++
      }
    }
    return { imported: copied, issues, write: async () => {} }
  }
}

interface PortalAttachmentRow { attachid: number, attachment: string, remote: number }

/** Portal attachment files into UPLOADS_DIR/discuz/portal/<Discuz's path> (articles link them as /data/attachment/portal/…). */
export const portalAttachmentsStep: Step<PortalAttachmentRow> = {
  name: 'portal-files',
  count: async ({ src }) => await countOf(src.db(src.table('portal_attachment'))),
  read: async ({ src }, after, limit) => await src.db(src.table('portal_attachment')).where('attachid', '>', afterId(after)).orderBy('attachid').limit(limit).select('attachid', 'attachment', 'remote'),
  keyOf: (r) => String(r.attachid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    let copied = 0
    for (const r of rows) {
      const key = String(r.attachid)
      if (ctx.attachmentsDir === null) { issues.push({ key, kind: 'skipped', reason: '未给出 --attachments 目录' }); continue }
      const rel = safeRelativePath(String(r.attachment))
      if (Number(r.remote) !== 0) { issues.push({ key, kind: 'skipped', reason: '远程附件（在 FTP/云存储上）未复制' }); continue }
      if (rel === null) { issues.push({ key, kind: 'skipped', reason: '附件路径不安全' }); continue }
      if (ctx.dryRun) { copied++; continue }
      const result = await copyInto(path.join(ctx.attachmentsDir, 'portal', rel), path.join(ctx.uploadsDir, 'discuz', 'portal', rel))
      if (result === 'missing') issues.push({ key, kind: 'skipped', reason: '附件文件不存在' })
      else copied++
    }
    return { imported: copied, issues, write: async () => {} }
  }
}

/** UCenter's avatar path for a uid: 000/00/00/01_avatar_big.jpg. */
export function avatarPath (uid: number): string {
  const padded = String(uid).padStart(9, '0')
  return `${padded.slice(0, 3)}/${padded.slice(3, 5)}/${padded.slice(5, 7)}/${padded.slice(7)}_avatar_big.jpg`
}

/** Each imported member's big avatar through `storeAvatar` (the avatar feature's, passed in by the caller). */
export const avatarsStep: Step<{ uid: number }> = {
  name: 'avatars',
  count: async ({ src }) => await countOf(src.db(src.table('common_member'))),
  read: async ({ src }, after, limit) => await src.db(src.table('common_member')).where('uid', '>', afterId(after)).orderBy('uid').limit(limit).select('uid'),
  keyOf: (r) => String(r.uid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    let stored = 0
    for (const r of rows) {
      if (!ctx.ids.users.has(r.uid) || ctx.avatarsDir === null || ctx.storeAvatar === null) continue
      let bytes: Buffer
      try {
        bytes = await fs.readFile(path.join(ctx.avatarsDir, avatarPath(r.uid)))
      } catch { continue } // most members never uploaded one: not an issue
      if (ctx.dryRun) { stored++; continue }
      try {
        await ctx.storeAvatar(r.uid, bytes)
        stored++
      } catch (err) {
        issues.push({ key: String(r.uid), kind: 'skipped', reason: `头像无法保存：${err instanceof Error ? err.message.slice(0, 100) : '未知错误'}` })
      }
    }
    return { imported: stored, issues, write: async () => {} }
  }
}
