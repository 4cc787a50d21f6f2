import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  NUMBER_FIELDS, SWITCH_FIELDS, TEXT_FIELDS, applyRowOp, formFromSettings, parseRowOp, readPosted,
  type FormErrors, type SettingsForm
} from '../../lib/site-settings-form'
import type { SiteAdminService } from './service'

/** /admin (站点状态) and /admin/settings (站点设置): HTTP only, admins only. */

export const ADMIN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const

const field = Type.Optional(Type.String({ maxLength: 400 }))
const rows = Type.Optional(Type.Union([Type.String({ maxLength: 400 }), Type.Array(Type.String({ maxLength: 400 }), { maxItems: 60 })]))
const settingsBody = Type.Object({
  _csrf: field,
  op: Type.Optional(Type.String({ maxLength: 20 })),
  link_label: rows,
  link_url: rows,
  ...Object.fromEntries([...Object.keys(TEXT_FIELDS), ...Object.keys(NUMBER_FIELDS), ...Object.keys(SWITCH_FIELDS)].map((k) => [k, field]))
})

const COUNT_LABELS = { members: '会员', articles: '文章', comments: '评论', threads: '主题', posts: '帖子（含回复）' } as const

function humanBytes (bytes: number | null): string {
  if (bytes === null) return ''
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

function humanUptime (seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return `${d > 0 ? `${d} 天 ` : ''}${h} 小时 ${m} 分钟`
}

export default async function siteAdminRoutes (app: FastifyInstance, opts: { service: SiteAdminService, timeZone: string }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const service = opts.service
  const crumbs = (label: string): Array<{ label: string, url?: string }> => [{ label: '管理中心', url: '/admin' }, { label }]

  // No query parameters; unknown ones are allowed as everywhere (src/lib/route-schemas.ts).
  r.get('/admin', { schema: { querystring: Type.Object({}) }, config: { rateLimit: ADMIN_RATE_LIMIT } }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    // This process's row is fresh whatever the timer's phase; the others are as their last beat left them.
    await app.processHeartbeat.beat().catch((err: unknown) => { request.log.warn({ err }, 'heartbeat failed') })
    const status = await service.status(app.clock.now())
    const countRows = (Object.keys(COUNT_LABELS) as Array<keyof typeof COUNT_LABELS>).map((k) => ({ label: COUNT_LABELS[k], pair: status.counts[k] }))
    return await reply.render('admin/status.njk', {
      adminActive: 'status', adminTitle: '站点状态', crumbs: crumbs('站点状态'),
      status, countRows, dbSize: humanBytes(status.database.bytes), uptime: humanUptime(status.uptimeSeconds),
      processes: status.processes.map((p) => ({
        ...p,
        uptime: humanUptime(Math.max(0, app.clock.now() - p.startedAt)),
        recentErrors: p.recentErrors.map((e) => ({ ...e, at: Math.floor(e.at / 1000) }))
      })),
      // This process's last 5xx errors (src/plugins/error-ring.ts), newest first; seconds for the date filter.
      lastErrors: app.errorRing.list().map((e) => ({ ...e, at: Math.floor(e.at / 1000) })),
      errorTotal: app.errorRing.count,
      errorCapacity: app.errorRing.capacity
    })
  })

  const renderSettings = async (reply: import('fastify').FastifyReply, form: SettingsForm, errors: FormErrors, notice = ''): Promise<import('fastify').FastifyReply> => {
    return await reply.render('admin/settings.njk', {
      adminActive: 'settings', adminTitle: '站点设置', crumbs: crumbs('站点设置'), notice,
      form, errors, errorCount: Object.keys(errors).length, defaultTimeZone: opts.timeZone, defaultSiteUrl: app.settings.defaultSiteUrl ?? '',
      textFields: TEXT_FIELDS, switchFields: SWITCH_FIELDS, numberFields: NUMBER_FIELDS
    })
  }

  r.get('/admin/settings', {
    schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 4 })) }) },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    app.requirePermission(request, { action: 'admin' })
    // Read fresh, not from this process's one-second cache: the form must show what is stored.
    app.settings.invalidate()
    const form = formFromSettings(await app.settings.all())
    return await renderSettings(reply, form, {}, request.query.saved === '1' ? '设置已保存，所有进程将在 1 秒内生效' : request.query.saved === 'logo' ? 'Logo 已更新，所有进程将在 1 秒内生效' : '')
  })

  r.post('/admin/settings', {
    schema: { body: settingsBody },
    config: { rateLimit: ADMIN_RATE_LIMIT }
  }, async (request, reply) => {
    const admin = app.requirePermission(request, { action: 'admin' })
    const form = readPosted(request.body)
    const op = parseRowOp(request.body.op)
    if (op !== null) {
      // 上移/下移/删除 rearrange the typed rows and show the form again; nothing is saved until 保存.
      return await renderSettings(reply, { ...form, links: applyRowOp(form.links, op) }, {}, '链接顺序已调整，点击“保存设置”后生效')
    }
    const result = await service.saveSettings(form, admin.id, app.clock.now(), request.id)
    if (!result.ok) {
      reply.code(400)
      return await renderSettings(reply, form, result.errors)
    }
    return await reply.redirect('/admin/settings?saved=1', 303)
  })
}
