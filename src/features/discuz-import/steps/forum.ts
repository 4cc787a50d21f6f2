import type { Knex } from 'knex'
import { bbcodeToMarkdown } from '../../../lib/bbcode-markdown'
import { textLength, THREAD_TYPE_MAX, THREAD_TYPES_MAX } from '../../../lib/structure-form'
import { updateByIds } from '../../../db/bulk-update'
import { afterId, countOf, insertChunks, type ImportContext, type Issue, type Step, type ThreadTypeLabels } from '../runner'
import { plainName, unescapeDiscuzText } from './portal'

interface BoardRow { fid: number, fup: number, type: string, name: string, status: number, displayorder: number, description: string | null, viewperm: string | null }

/** `viewperm` is group ids joined by tabs ("\t1\t2\t"); empty = everyone. Guests are group 7. */
export function guestMayView (viewperm: string | null): boolean {
  const groups = String(viewperm ?? '').split('\t').map((s) => s.trim()).filter((s) => s !== '')
  return groups.length === 0 || groups.includes('7')
}

interface ThreadClassRow { typeid: number, fid: number, name: string }

/**
 * forum_threadclass (in displayorder) → a board's labels (at most THREAD_TYPES_MAX, each at most
 * THREAD_TYPE_MAX characters, the rules of the board form): a longer name is cut, two classes of a board
 * that end up with one name share it, the ones past the limit are left out; each such change is an issue
 * of the board. Pure, so the boards step and the threads step (which may run in a later --resume) agree.
 */
export function threadTypeLabels (rows: readonly ThreadClassRow[]): ThreadTypeLabels {
  const out: ThreadTypeLabels = { byBoard: new Map(), byType: new Map(), issues: new Map() }
  const issue = (fid: number, i: Issue): void => { out.issues.set(fid, [...(out.issues.get(fid) ?? []), i]) }
  for (const r of rows) {
    const fid = Number(r.fid)
    const key = `threadclass:${r.typeid}`
    const name = plainName(r.name, 255).replace(/[[\]【】]/g, '').trim()
    if (name === '') { issue(fid, { key, kind: 'skipped', reason: '主题分类名称为空' }); continue }
    const label = [...name].slice(0, THREAD_TYPE_MAX).join('')
    if (textLength(name) > THREAD_TYPE_MAX) issue(fid, { key, kind: 'changed', reason: `主题分类“${name}”超过 ${THREAD_TYPE_MAX} 个字，改为“${label}”` })
    const labels = out.byBoard.get(fid) ?? []
    if (!labels.includes(label)) {
      if (labels.length >= THREAD_TYPES_MAX) { issue(fid, { key, kind: 'skipped', reason: `版块的主题分类超过 ${THREAD_TYPES_MAX} 个` }); continue }
      labels.push(label)
      out.byBoard.set(fid, labels)
    } else issue(fid, { key, kind: 'changed', reason: `主题分类“${label}”与本版块另一分类同名，合并` })
    out.byType.set(Number(r.typeid), { fid, label })
  }
  return out
}

/** The site's thread classes (a few hundred rows at most), read once per run. */
async function threadTypesOf (ctx: ImportContext): Promise<ThreadTypeLabels> {
  if (ctx.threadTypes === null) {
    ctx.threadTypes = threadTypeLabels(await ctx.src.db(ctx.src.table('forum_threadclass'))
      .orderBy([{ column: 'fid' }, { column: 'displayorder' }, { column: 'typeid' }]).select<ThreadClassRow[]>('typeid', 'fid', 'name'))
  }
  return ctx.threadTypes
}

/** forum_forum + forum_forumfield, all at once (a few hundred boards): parents set after every row exists. */
export const boardsStep: Step<BoardRow> = {
  name: 'boards',
  batch: 100000,
  count: async ({ src }) => await countOf(src.db(src.table('forum_forum'))),
  read: async ({ src }, after, limit) => await src.db(`${src.table('forum_forum')} as f`)
    .leftJoin(`${src.table('forum_forumfield')} as ff`, 'ff.fid', 'f.fid')
    .where('f.fid', '>', afterId(after)).orderBy('f.fid').limit(limit)
    .select('f.fid', 'f.fup', 'f.type', 'f.name', 'f.status', 'f.displayorder', 'ff.description', 'ff.viewperm'),
  keyOf: (r) => String(r.fid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const types = await threadTypesOf(ctx)
    // 群组 (status 3) are Discuz's user groups, not boards: luntan has none.
    const kept = rows.filter((r) => {
      if (Number(r.status) === 3) { issues.push({ key: String(r.fid), kind: 'skipped', reason: '群组（status 3）不是版块' }); return false }
      if (!['group', 'forum', 'sub'].includes(r.type)) { issues.push({ key: String(r.fid), kind: 'skipped', reason: `未知的版块类型 ${r.type}` }); return false }
      return true
    })
    const keptIds = new Set(kept.map((r) => r.fid))
    const byId = new Map(kept.map((r) => [r.fid, r]))
    // A board under a skipped parent is skipped too (its parent chain must exist), down the tree.
    const reachable = (r: BoardRow, depth = 0): boolean => r.type === 'group' || (depth < 4 && keptIds.has(Number(r.fup)) && reachable(byId.get(Number(r.fup)) as BoardRow, depth + 1))
    const out: Array<Record<string, unknown>> = []
    const parents: Array<{ id: number, parent: number }> = []
    for (const r of kept) {
      if (!reachable(r)) { issues.push({ key: String(r.fid), kind: 'skipped', reason: `上级版块 ${r.fup} 未导入` }); continue }
      let guestVisible = guestMayView(r.viewperm)
      if (Number(r.status) === 0) {
        guestVisible = false
        issues.push({ key: String(r.fid), kind: 'changed', reason: '隐藏版块导入为仅会员可见' })
      }
      ctx.ids.boards.add(r.fid)
      const labels = r.type === 'group' ? [] : types.byBoard.get(r.fid) ?? []
      if (r.type !== 'group') issues.push(...types.issues.get(r.fid) ?? [])
      out.push({
        id: r.fid, parent_id: null, is_group: r.type === 'group', name: plainName(r.name, 64) || `版块 ${r.fid}`,
        description: plainName(r.description, 255), display_order: Number(r.displayorder), guest_visible: guestVisible,
        thread_types: labels.length === 0 ? null : JSON.stringify(labels)
      })
      if (r.type !== 'group') parents.push({ id: r.fid, parent: Number(r.fup) })
    }
    return {
      imported: out.length,
      issues,
      write: async (trx) => {
        await insertChunks(trx, 'boards', out)
        await updateByIds(trx, 'boards', parents.map((p) => ({ id: p.id, values: { parent_id: p.parent } })))
      }
    }
  }
}

interface ThreadRow {
  tid: number, fid: number, typeid: number, authorid: number, subject: string, dateline: number, lastpost: number, lastposter: string | null
  views: number, displayorder: number, closed: number, maxposition: number
}

/** forum_thread.displayorder: > 0 pinned, 0 normal, -1 recycle bin, -2 awaiting review, -3 ignored, -4 draft. */
export function threadStatus (displayorder: number): 'visible' | 'pending' | 'deleted' {
  if (displayorder >= 0) return 'visible'
  return displayorder === -2 ? 'pending' : 'deleted'
}

export const threadsStep: Step<ThreadRow> = {
  name: 'threads',
  count: async ({ src }) => await countOf(src.db(src.table('forum_thread'))),
  read: async ({ src }, after, limit) => await src.db(src.table('forum_thread')).where('tid', '>', afterId(after)).orderBy('tid').limit(limit)
    .select('tid', 'fid', 'typeid', 'authorid', 'subject', 'dateline', 'lastpost', 'lastposter', 'views', 'displayorder', 'closed', 'maxposition'),
  keyOf: (r) => String(r.tid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    const types = await threadTypesOf(ctx)
    for (const r of rows) {
      const key = String(r.tid)
      // closed > 1 is the stub a moved thread leaves behind (it holds the new tid): not a thread.
      if (Number(r.closed) > 1) { issues.push({ key, kind: 'skipped', reason: `移动主题留下的跳转（指向 ${r.closed}）` }); continue }
      if (!ctx.ids.boards.has(Number(r.fid))) { issues.push({ key, kind: 'skipped', reason: `版块 ${r.fid} 未导入` }); continue }
      if (!ctx.ids.users.has(Number(r.authorid))) { issues.push({ key, kind: 'skipped', reason: Number(r.authorid) === 0 ? '游客发表的主题（uid 0）' : `作者 uid ${r.authorid} 未导入` }); continue }
      if (Number(r.displayorder) === -4) issues.push({ key, kind: 'changed', reason: '草稿导入为已删除' })
      const type = Number(r.typeid) === 0 ? undefined : types.byType.get(Number(r.typeid))
      if (Number(r.typeid) !== 0 && type?.fid !== Number(r.fid)) issues.push({ key, kind: 'changed', reason: `主题分类 ${r.typeid} 不是本版块的分类，导入为无分类` })
      ctx.ids.threads.add(r.tid)
      out.push({
        type_label: type?.fid === Number(r.fid) ? type.label : '',
        id: r.tid, board_id: Number(r.fid), author_id: Number(r.authorid), title: unescapeDiscuzText(String(r.subject)).trim().slice(0, 191) || `主题 ${r.tid}`,
        pinned: Number(r.displayorder) > 0, closed: Number(r.closed) === 1, status: threadStatus(Number(r.displayorder)),
        last_position: Number(r.maxposition), views: Number(r.views), created_at: Number(r.dateline),
        last_post_at: Number(r.lastpost) || Number(r.dateline), last_poster_name: plainName(r.lastposter, 32)
      })
    }
    return { imported: out.length, issues, write: async (trx) => { await insertChunks(trx, 'threads', out, 300) } }
  }
}

interface PostRow {
  pid: number, tid: number, authorid: number, dateline: number, message: string | null, invisible: number, htmlon: number, bbcodeoff: number, position: number
}
interface AttachmentInfo { aid: number, pid: number, filename: string, attachment: string, isimage: number, remote: number }

/** The old attachment URL, served from the copied file (routes.ts). */
export function attachmentUrl (kind: 'forum' | 'portal', path: string): string {
  return `/data/attachment/${kind}/${path.split('/').map(encodeURIComponent).join('/')}`
}

/** forum_attachment → forum_attachment_N (its tableid) for these posts. */
export async function attachmentsOfPosts (ctx: ImportContext, pids: number[]): Promise<AttachmentInfo[]> {
  if (pids.length === 0) return []
  const index = await ctx.src.db(ctx.src.table('forum_attachment')).whereIn('pid', pids).select<Array<{ aid: number, pid: number, tableid: number }>>('aid', 'pid', 'tableid')
  const byTable = new Map<number, number[]>()
  for (const a of index) if (a.tableid >= 0 && a.tableid <= 9) byTable.set(a.tableid, [...(byTable.get(a.tableid) ?? []), a.aid])
  const out: AttachmentInfo[] = []
  for (const [table, aids] of byTable) {
    out.push(...await ctx.src.db(ctx.src.table(`forum_attachment_${table}`)).whereIn('aid', aids)
      .select<AttachmentInfo[]>('aid', 'pid', 'filename', 'attachment', 'isimage', 'remote'))
  }
  return out
}

function escapeLabel (s: string): string {
  return s.replace(/[\\[\]<]/g, (c) => c === '<' ? '&lt;' : `\\${c}`)
}

export function attachmentMarkdown (a: AttachmentInfo): string {
  const url = attachmentUrl('forum', a.attachment)
  return Number(a.isimage) !== 0 ? `![${escapeLabel(a.filename)}](${url})` : `[${escapeLabel(a.filename)}](${url})`
}

/** A post's body in our Markdown: BBCode converted, HTML posts kept (sanitized when shown), attachments linked. */
export function postBody (p: PostRow, attachments: AttachmentInfo[]): string {
  const own = attachments.filter((a) => a.pid === p.pid)
  const used = new Set<number>()
  const message = String(p.message ?? '')
  let body: string
  if (Number(p.htmlon) === 1) body = message
  else if (Number(p.bbcodeoff) === 1) body = bbcodeToMarkdown(message.replace(/\[/g, '&#91;'))
  else {
    body = bbcodeToMarkdown(message, {
      attachment: (id) => {
        const a = own.find((x) => x.aid === id)
        if (a === undefined) return null
        used.add(id)
        return attachmentMarkdown(a)
      }
    })
  }
  // Discuz lists the attachments a post did not place inline under it: so do we.
  const rest = own.filter((a) => !used.has(a.aid))
  if (rest.length > 0) body = `${body}\n\n${rest.map((a) => `- ${attachmentMarkdown(a)}`).join('\n')}`
  return body.trim() === '' ? '（内容为空）' : body
}

/** forum_post.invisible: 0 visible, -2 awaiting review, any other negative: recycled or ignored. */
export function postStatus (invisible: number): 'visible' | 'pending' | 'deleted' {
  if (invisible === 0) return 'visible'
  return invisible === -2 ? 'pending' : 'deleted'
}

const POST_COLUMNS = ['pid', 'tid', 'authorid', 'dateline', 'message', 'invisible', 'htmlon', 'bbcodeoff', 'position'] as const

/**
 * Where the posts are: forum_post, and forum_post_N for each N a thread names in `posttableid` (Discuz's
 * 帖子分表 moves whole threads' posts there). Read once per run; pids are unique across the tables.
 */
async function postTablesOf (ctx: ImportContext): Promise<string[]> {
  if (ctx.postTables === null) {
    const ids = await ctx.src.db(ctx.src.table('forum_thread')).where('posttableid', '>', 0).distinct('posttableid').pluck<number[]>('posttableid')
    ctx.postTables = ['forum_post', ...ids.map(Number).filter((n) => Number.isInteger(n) && n > 0 && n < 10000).sort((a, b) => a - b).map((n) => `forum_post_${n}`)]
  }
  return ctx.postTables
}

export const postsStep: Step<PostRow> = {
  name: 'posts',
  count: async (ctx) => {
    let n = 0
    for (const table of await postTablesOf(ctx)) n += await countOf(ctx.src.db(ctx.src.table(table)))
    return n
  },
  // Keyset over pid across the tables: each table's next `limit` rows, merged, the first `limit` of them.
  read: async (ctx, after, limit) => {
    const tables = await postTablesOf(ctx)
    const one = (table: string): Knex.QueryBuilder => ctx.src.db(ctx.src.table(table)).where('pid', '>', afterId(after)).orderBy('pid').limit(limit).select(...POST_COLUMNS)
    if (tables.length === 1) return await one(tables[0] ?? 'forum_post')
    return await ctx.src.db.select('*').from(ctx.src.db.unionAll(tables.map((t) => ctx.src.db.select('*').from(one(t).as('part'))), true).as('p'))
      .orderBy('pid').limit(limit)
  },
  keyOf: (r) => String(r.pid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    const attachments = await attachmentsOfPosts(ctx, rows.filter((r) => ctx.ids.threads.has(Number(r.tid))).map((r) => r.pid))
    for (const r of rows) {
      const key = String(r.pid)
      if (!ctx.ids.threads.has(Number(r.tid))) { issues.push({ key, kind: 'skipped', reason: `主题 ${r.tid} 未导入` }); continue }
      if (!ctx.ids.users.has(Number(r.authorid))) { issues.push({ key, kind: 'skipped', reason: Number(r.authorid) === 0 ? '游客发表的帖子（uid 0）' : `作者 uid ${r.authorid} 未导入` }); continue }
      out.push({
        id: r.pid, thread_id: Number(r.tid), author_id: Number(r.authorid), position: Number(r.position),
        body: postBody(r, attachments), status: postStatus(Number(r.invisible)), created_at: Number(r.dateline)
      })
    }
    return {
      imported: out.length,
      issues,
      write: async (trx) => {
        // Every row's thread and author were checked against ctx.ids above, so on MySQL/MariaDB the two
        // foreign-key probes per row (threads, users) are skipped for this batch's inserts only: the
        // posts step is most of a million-post import. The setting is the session's, put back at once.
        const mysql = trx.client.config.client === 'mysql2'
        if (mysql) await trx.raw('SET SESSION foreign_key_checks = 0')
        try {
          await insertChunks(trx, 'posts', out, 500)
        } finally {
          if (mysql) await trx.raw('SET SESSION foreign_key_checks = 1')
        }
      }
    }
  }
}
