import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError, notFound, parseId } from '../../lib/http-errors'
import { BAN_NAMES, activeBan, isRole, type BanType } from '../../lib/permissions'
import { queryValue, type LegacyQuery } from '../../plugins/legacy-urls'
import { emptyFormWhenBodiless } from '../../plugins/empty-form'
import { DURATIONS, AUDIT_ACTIONS, parseBanForm, type ModerationService } from './service'
import type { ActiveBanRow, BanTargetRow } from './repository'

const DARKROOM_PER_PAGE = 20
const MOD_BANS_PER_PAGE = 20
const AUDIT_PER_PAGE = 30

/** Discuz's darkroom URLs: `forum.php?mod=misc&action=showdarkroom` and `misc.php?mod=darkroom`. */
export function legacyDarkroomRedirect (query: LegacyQuery): string | null {
  const mod = queryValue(query, 'mod')
  if (mod === 'misc' && queryValue(query, 'action') === 'showdarkroom') return '/darkroom'
  if (mod === 'darkroom') return '/darkroom'
  return null
}

/** `?before=<id>` for keyset pages; anything else means the first page. */
function parseBefore (raw: string | undefined): number | undefined {
  return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : undefined
}

function banName (type: string): string {
  return type === 'post' || type === 'visit' ? BAN_NAMES[type] : type
}

function darkroomJson (row: ActiveBanRow): Record<string, unknown> {
  return { uid: row.user_id, username: row.username, action: banName(row.type), type: row.type, expires_at: row.expires_at, created_at: row.created_at, reason: row.reason }
}

/**
 * What the pages accept. Lenient where the handlers always were: a `?before=` that is not an id is
 * the first page, an id that is not a number is the 404 (parseId), unknown query parameters are
 * ignored. Form fields are strings with generous caps: the service's own rules (2–200 character
 * reasons, a date it can read) answer first with the form again; only absurd input meets the schema.
 */
const KeysetQuery = Type.Object({ before: Type.Optional(Type.String()) })
const ModQuery = Type.Object({
  before: Type.Optional(Type.String()),
  bans_before: Type.Optional(Type.String()),
  moderator: Type.Optional(Type.String()),
  member: Type.Optional(Type.String()),
  action: Type.Optional(Type.String())
})
const UserParams = Type.Object({ uid: Type.String() })
const BanFormQuery = Type.Object({ type: Type.Optional(Type.String()), done: Type.Optional(Type.String()) })
const FormText = Type.Optional(Type.String({ maxLength: 1000 }))
const BanBody = Type.Object({ type: FormText, duration: FormText, until: FormText, reason: FormText, hide_recent: FormText })
const LiftBody = Type.Object({ reason: FormText })


/** The public darkroom: who is banned now (keyset pages), as a page and as JSON. */
async function darkroomRoutes (app: FastifyInstance, service: ModerationService): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  async function requireDarkroom (): Promise<void> {
    if (!await app.settings.getBoolean('darkroom_enabled')) throw notFound()
  }

  // A guest's darkroom is kept by the guest page cache for a second like the other public lists: a new
  // ban shows there within that second (staff, being members, always see the list as it is).
  r.get('/darkroom', { schema: { querystring: KeysetQuery } }, async (request, reply) => {
    if (request.user === null && await app.guestPages.serveCached(request, reply)) return reply
    await requireDarkroom()
    const before = parseBefore(request.query.before)
    const { rows, nextBefore } = await service.activeBans(DARKROOM_PER_PAGE, before)
    // Not for search engines: members' names and ban reasons would outlive the ban there (also robots.txt).
    return await app.guestPages.send(request, reply, await reply.renderPage('moderation/darkroom.njk', {
      navActive: 'darkroom', rows: rows.map((r) => ({ ...r, action: banName(r.type) })), nextBefore, isFirstPage: before === undefined
    }), { noindex: true })
  })

  r.get('/darkroom.json', { schema: { querystring: KeysetQuery } }, async (request, reply) => {
    await requireDarkroom()
    const { rows, nextBefore } = await service.activeBans(DARKROOM_PER_PAGE, parseBefore(request.query.before))
    return await reply.type('application/json; charset=utf-8').header('X-Robots-Tag', 'noindex').send({ rows: rows.map(darkroomJson), next_before: nextBefore })
  })
}

/** The staff page /mod: current bans and the audit log, filtered by moderator, member and action. */
async function staffPageRoute (app: FastifyInstance, service: ModerationService): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  r.get('/mod', { schema: { querystring: ModQuery } }, async (request, reply) => {
    app.requirePermission(request, { action: 'moderate' })
    const q = request.query
    const filter = {
      moderator: (q.moderator ?? '').slice(0, 32),
      member: (q.member ?? '').slice(0, 32),
      action: AUDIT_ACTIONS.some((a) => a.value === q.action) ? (q.action ?? '') : ''
    }
    const bans = await service.activeBans(MOD_BANS_PER_PAGE, parseBefore(q.bans_before))
    const audit = await service.auditEntries(filter, AUDIT_PER_PAGE, parseBefore(q.before))
    const filterQuery = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== '')).toString()
    return await reply.render('moderation/mod.njk', {
      navActive: 'mod',
      bans: bans.rows.map((r) => ({ ...r, action: banName(r.type) })),
      bansNextBefore: bans.nextBefore,
      audit: audit.rows.map((r) => ({ ...r, actionLabel: AUDIT_ACTIONS.find((a) => a.value === r.action)?.label ?? r.action })),
      auditNextUrl: audit.nextBefore === null ? null : `/mod?${filterQuery}${filterQuery === '' ? '' : '&'}before=${audit.nextBefore}`,
      unknownNames: audit.unknownNames,
      filter,
      actions: AUDIT_ACTIONS,
      crumbs: [{ label: '管理面板' }]
    })
  })
}

/** Moderation: the ban and lift forms (/mod/ban/:uid, /mod/unban/:uid), the staff page /mod, and the public darkroom. */
export default async function moderationRoutes (app: FastifyInstance): Promise<void> {
  const service = app.moderation
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  // A POST without any body meets the CSRF check's 403, as before schemas (src/plugins/empty-form.ts).
  app.addHook('preValidation', emptyFormWhenBodiless)

  app.legacyUrls.add('forum.php', legacyDarkroomRedirect)
  app.legacyUrls.add('misc.php', legacyDarkroomRedirect)
  await darkroomRoutes(app, service)

  await staffPageRoute(app, service)

  r.get('/mod/ban/:uid', { schema: { params: UserParams, querystring: BanFormQuery } }, async (request, reply) => {
    const actor = app.requirePermission(request, { action: 'moderate' })
    const target = await service.target(actor, parseId(request.params.uid))
    const type: BanType = request.query.type === 'visit' ? 'visit' : 'post'
    return await reply.render('moderation/ban.njk', banFormData(target, await app.settings.timeZone(), { type, duration: '7' }, request.query.done))
  })

  function banFormData (target: BanTargetRow, timeZone: string, form: Record<string, string>, done?: string, error?: string): Record<string, unknown> {
    const current = activeBan({ banType: target.ban_type === 'post' || target.ban_type === 'visit' ? target.ban_type : null, banUntil: target.ban_until, banReason: target.ban_reason }, app.clock.now())
    return {
      navActive: 'mod',
      target: { ...target, role: isRole(target.role) ? target.role : 'member' },
      current,
      currentName: current === null ? null : BAN_NAMES[current.type],
      liftLabel: current?.type === 'visit' ? '解除禁止访问' : '解除禁言',
      form,
      durations: DURATIONS,
      tomorrow: service.tomorrow(timeZone),
      done: done === 'ban' ? '处罚已生效' : done === 'unban' ? '已解除' : null,
      error,
      crumbs: [{ label: '管理面板', url: '/mod' }, { label: `处罚 ${target.username}` }]
    }
  }

  r.post('/mod/ban/:uid', { schema: { params: UserParams, body: BanBody } }, async (request, reply) => {
    const actor = app.requirePermission(request, { action: 'moderate' })
    const userId = parseId(request.params.uid)
    const target = await service.target(actor, userId)
    const body = request.body
    // A typed end date is a day of the site zone as it is set now (站点设置 → 时区).
    const timeZone = await app.settings.timeZone()
    try {
      const input = parseBanForm(body, app.clock.now(), timeZone)
      await service.ban(actor, userId, input, { requestId: request.id })
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) {
        reply.code(400)
        // What was typed, back in the form (every field is a string by the schema; the token is not shown).
        const form = Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => entry[0] !== '_csrf' && typeof entry[1] === 'string'))
        return await reply.render('moderation/ban.njk', banFormData(target, timeZone, form, undefined, err.message))
      }
      throw err
    }
    return await reply.redirect(`/mod/ban/${userId}?done=ban`, 303)
  })

  r.post('/mod/unban/:uid', { schema: { params: UserParams, body: LiftBody } }, async (request, reply) => {
    const actor = app.requirePermission(request, { action: 'moderate' })
    const userId = parseId(request.params.uid)
    const target = await service.target(actor, userId)
    try {
      await service.lift(actor, userId, request.body.reason, { requestId: request.id })
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) {
        reply.code(400)
        return await reply.render('moderation/ban.njk', banFormData(target, await app.settings.timeZone(), { type: 'post', duration: '7', lift_reason: request.body.reason ?? '' }, undefined, err.message))
      }
      throw err
    }
    return await reply.redirect(`/mod/ban/${userId}?done=unban`, 303)
  })
}
