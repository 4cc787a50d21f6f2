import { grantBoardModeratorsInBulk } from '../../board-moderators'
import { countOf, type Issue, type Step } from '../runner'

interface ModeratorRow { uid: number, fid: number, inherited: number }

/**
 * forum_moderator → 版主 of single boards (the board-moderators feature). A row Discuz marks `inherited`
 * (a board's 版主 passed down to its sub-boards) is a grant on that sub-board here too, so the member
 * keeps every board they could moderate. 分区 (groups) have no 版主 in luntan: listed, not granted.
 */
export const boardModeratorsStep: Step<ModeratorRow> = {
  name: 'board-moderators',
  count: async ({ src }) => await countOf(src.db(src.table('forum_moderator'))),
  read: async ({ src }, after, limit) => {
    const [uid, fid] = after === '' ? [0, 0] : after.split(':').map(Number)
    return await src.db(src.table('forum_moderator'))
      .where((q) => { void q.where('uid', '>', uid ?? 0).orWhere((q2) => { void q2.where('uid', uid ?? 0).andWhere('fid', '>', fid ?? 0) }) })
      .orderBy([{ column: 'uid' }, { column: 'fid' }]).limit(limit).select('uid', 'fid', 'inherited')
  },
  keyOf: (r) => `${r.uid}:${r.fid}`,
  async map (ctx, rows) {
    const issues: Issue[] = []
    const fids = [...new Set(rows.map((r) => Number(r.fid)).filter((fid) => ctx.ids.boards.has(fid)))]
    const groups = new Set<number>()
    for (let i = 0; i < fids.length; i += 500) {
      for (const id of await ctx.db('boards').whereIn('id', fids.slice(i, i + 500)).where('is_group', true).pluck<number[]>('id')) groups.add(Number(id))
    }
    const grants: Array<{ boardId: number, userId: number, at: number }> = []
    for (const r of rows) {
      const key = `${r.uid}:${r.fid}`
      if (!ctx.ids.users.has(Number(r.uid))) { issues.push({ key, kind: 'skipped', reason: `版主 uid ${r.uid} 未导入` }); continue }
      if (!ctx.ids.boards.has(Number(r.fid))) { issues.push({ key, kind: 'skipped', reason: `版块 ${r.fid} 未导入` }); continue }
      if (groups.has(Number(r.fid))) { issues.push({ key, kind: 'skipped', reason: `分区 ${r.fid} 没有版主（请在其下的版块上设置）` }); continue }
      grants.push({ boardId: Number(r.fid), userId: Number(r.uid), at: ctx.now })
    }
    return { imported: grants.length, issues, write: async (trx) => { await grantBoardModeratorsInBulk(trx, grants) } }
  }
}
