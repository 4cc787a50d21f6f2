import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseIsoDate, siteMidnight } from '../../lib/dates'
import { AUDIT_ACTIONS } from '../moderation'

/**
 * 操作记录 /admin/log: the append-only audit log (app.moderation.audit) with every admin and moderator
 * action, filtered by who acted, what they did, the member concerned and a date range, newest first
 * in keyset pages (`?before=<id>`). Admins only; moderators keep their own view at /mod. HTTP only.
 */

const PER_PAGE = 30

/** The admin centre's own actions, besides the moderators' (AUDIT_ACTIONS). */
export const ADMIN_AUDIT_ACTIONS: ReadonlyArray<{ value: string, label: string }> = [
  { value: 'settings_update', label: '站点设置' },
  { value: 'page_create', label: '新建单页' },
  { value: 'page_edit', label: '编辑单页' },
  { value: 'page_delete', label: '删除单页' },
  { value: 'reaction_kind_update', label: '修改表态' },
  { value: 'reaction_kind_move', label: '调整表态顺序' },
  { value: 'words_import', label: '导入屏蔽词' },
  { value: 'word_save', label: '添加/修改屏蔽词' },
  { value: 'word_delete', label: '删除屏蔽词' },
  { value: 'category_create', label: '新建频道' },
  { value: 'category_edit', label: '编辑频道' },
  { value: 'category_order', label: '调整频道顺序' },
  { value: 'category_move_articles', label: '移动频道文章' },
  { value: 'category_delete', label: '删除频道' },
  { value: 'category_editor_grant', label: '授予频道编辑' },
  { value: 'category_editor_revoke', label: '收回频道编辑' },
  { value: 'board_create', label: '新建版块' },
  { value: 'board_edit', label: '编辑版块' },
  { value: 'board_order', label: '调整版块顺序' },
  { value: 'board_delete', label: '删除版块' },
  { value: 'article_edit', label: '编辑文章' },
  { value: 'article_move', label: '移动文章' },
  { value: 'article_restore', label: '恢复文章版本' }
]

const ALL_ACTIONS = [...AUDIT_ACTIONS, ...ADMIN_AUDIT_ACTIONS]
const TARGET_NAMES: Readonly<Record<string, string>> = {
  user: '会员', comment: '评论', article: '文章', thread: '主题', post: '帖子', setting: '设置', page: '单页', reaction_kind: '表态', word: '屏蔽词'
}
const LABELS = new Map(ALL_ACTIONS.map((a) => [a.value, a.label]))

const Short = Type.Optional(Type.String({ maxLength: 64 }))
const LogQuery = Type.Object({ actor: Short, action: Short, member: Short, from: Short, to: Short, before: Short })

/** A stored JSON state, pretty-printed for the page (the template escapes it); text that is not JSON as it is. */
export function prettyState (raw: string | null): string | null {
  if (raw === null) return null
  try {
    return JSON.stringify(JSON.parse(raw), null, 2)
  } catch {
    return raw
  }
}

function parseBefore (raw: string | undefined): number | undefined {
  return raw !== undefined && /^[1-9]\d{0,17}$/.test(raw) ? Number(raw) : undefined
}

export default async function adminLogRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const crumbs = [{ label: '管理中心', url: '/admin' }, { label: '操作记录' }]

  r.get('/admin/log', { config: { rateLimit: { max: 60, timeWindow: '1 minute' } }, schema: { querystring: LogQuery } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    const q = request.query
    const filter = {
      actor: (q.actor ?? '').trim().slice(0, 32),
      member: (q.member ?? '').trim().slice(0, 32),
      action: LABELS.has(q.action ?? '') ? (q.action ?? '') : '',
      from: (q.from ?? '').trim(),
      to: (q.to ?? '').trim()
    }
    const errors: string[] = []
    // The dates typed are days of the site zone as it is set now (站点设置 → 时区).
    const timeZone = await app.settings.timeZone()
    const day = (raw: string, label: string): number | undefined => {
      if (raw === '') return undefined
      const d = parseIsoDate(raw)
      if (d === null) { errors.push(`${label}应为 年-月-日，例如 2026-11-30`); return undefined }
      return siteMidnight(d.year, d.month, d.day, timeZone)
    }
    const since = day(filter.from, '开始日期')
    const toDay = day(filter.to, '结束日期')
    // The end date is included: up to the next midnight.
    const until = toDay === undefined ? undefined : siteMidnight(...nextDay(filter.to), timeZone)
    if (since !== undefined && toDay !== undefined && toDay < since) errors.push('结束日期不能早于开始日期')
    const page = errors.length > 0
      ? { rows: [], nextBefore: null, unknownNames: [] }
      : await app.moderation.auditEntries({ moderator: filter.actor, member: filter.member, action: filter.action, since, until }, PER_PAGE, parseBefore(q.before))
    const filterQuery = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== '')).toString()
    return await reply.render('admin/log.njk', {
      adminActive: 'log', adminTitle: '操作记录', crumbs,
      filter, actions: ALL_ACTIONS, errors,
      unknownNames: page.unknownNames,
      rows: page.rows.map((row) => ({
        ...row,
        actionLabel: LABELS.get(row.action) ?? row.action,
        targetLabel: TARGET_NAMES[row.target_type] ?? row.target_type,
        before: prettyState(row.before_state),
        after: prettyState(row.after_state)
      })),
      isFirstPage: q.before === undefined,
      firstUrl: `/admin/log${filterQuery === '' ? '' : `?${filterQuery}`}`,
      nextUrl: page.nextBefore === null ? null : `/admin/log?${filterQuery}${filterQuery === '' ? '' : '&'}before=${page.nextBefore}`
    })
  })
}

/** The calendar day after a valid `YYYY-MM-DD`, as siteMidnight's arguments. */
function nextDay (raw: string): [number, number, number] {
  const d = parseIsoDate(raw)
  if (d === null) throw new Error('nextDay: not a date')
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day + 1))
  return [next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()]
}
