import type { Knex } from 'knex'
import { RENDERER_VERSION, renderBody } from '../../lib/markdown'
import { isUniqueViolation } from '../../db/knex'
import { notFound } from '../../lib/http-errors'
import type { AdminAudit } from '../site-admin'
import type { PageListRow, PageRow, PagesRepository } from './repository'

/** 单页 rules: slugs, titles, bodies, and their audited create / edit / delete. No Fastify types. */

export const SLUG_PATTERN = /^[a-z0-9-]{1,32}$/
export const TITLE_MAX = 80
export const BODY_MAX = 20_000
/** Characters of a body kept in an audit row's before/after (the row's columns are TEXT). */
const AUDIT_BODY_CHARS = 1000

export const pageMessages = {
  slug: '页面标识只能使用小写字母、数字和连字符（-），1 到 32 个字符',
  slugTaken: '该页面标识已被使用，请换一个',
  title: `标题不能为空，最多 ${TITLE_MAX} 个字符`,
  bodyEmpty: '内容不能为空',
  bodyTooLong: `内容最多 ${BODY_MAX} 个字符`,
  notFound: '抱歉，您指定的单页不存在'
} as const

export interface PageInput { slug: string, title: string, body: string }
export type PageErrors = Partial<Record<'slug' | 'title' | 'body', string>>
export type PageSaveResult = { ok: true, id: number } | { ok: false, errors: PageErrors }

export interface PagesDeps { db: Knex, repo: PagesRepository, audit: AdminAudit }
export interface Actor { id: number, now: number, requestId: string }

/** The fields checked and the body rendered once (the page view only reads body_html). */
function checked (input: PageInput): { errors: PageErrors, html: string } {
  const errors: PageErrors = {}
  if (!SLUG_PATTERN.test(input.slug)) errors.slug = pageMessages.slug
  const titleChars = [...input.title].length
  if (titleChars < 1 || titleChars > TITLE_MAX) errors.title = pageMessages.title
  let html = ''
  if (input.body.trim() === '') errors.body = pageMessages.bodyEmpty
  else if (input.body.length > BODY_MAX) errors.body = pageMessages.bodyTooLong
  else {
    const rendered = renderBody(input.body)
    if ('refusal' in rendered) errors.body = rendered.refusal
    else html = rendered.html
  }
  return { errors, html }
}

function auditState (page: Pick<PageRow, 'slug' | 'title' | 'body'>): Record<string, string> {
  const body = page.body.length > AUDIT_BODY_CHARS ? page.body.slice(0, AUDIT_BODY_CHARS) + '…' : page.body
  return { slug: page.slug, title: page.title, body }
}

export function pagesService (deps: PagesDeps) {
  const { db, repo } = deps

  async function save (existingId: number | null, input: PageInput, actor: Actor): Promise<PageSaveResult> {
    const { errors, html } = checked(input)
    if (Object.keys(errors).length > 0) return { ok: false, errors }
    const write = { slug: input.slug, title: input.title, body: input.body, body_html: html, render_version: RENDERER_VERSION, updated_at: actor.now, updated_by: actor.id }
    try {
      const id = await db.transaction(async (trx) => {
        if (existingId === null) {
          const id = await repo.insert({ ...write, created_at: actor.now }, trx)
          await deps.audit({ actorId: actor.id, action: 'page_create', targetType: 'page', targetId: id, after: auditState(write), requestId: actor.requestId, at: actor.now }, trx)
          return id
        }
        const before = await repo.byId(existingId, trx)
        if (before === undefined) throw notFound(pageMessages.notFound)
        await repo.update(existingId, write, trx)
        await deps.audit({ actorId: actor.id, action: 'page_edit', targetType: 'page', targetId: existingId, before: auditState(before), after: auditState(write), requestId: actor.requestId, at: actor.now }, trx)
        return existingId
      })
      return { ok: true, id }
    } catch (err) {
      // The unique key decides between two admins taking one slug at once.
      if (isUniqueViolation(err)) return { ok: false, errors: { slug: pageMessages.slugTaken } }
      throw err
    }
  }

  return {
    /** The public page, or null (a 404) for an unknown or malformed slug. */
    async published (slug: string): Promise<PageRow | null> {
      if (!SLUG_PATTERN.test(slug)) return null
      return await repo.bySlug(slug) ?? null
    },

    async get (id: number): Promise<PageRow> {
      const page = await repo.byId(id)
      if (page === undefined) throw notFound(pageMessages.notFound)
      return page
    },

    async list (limit: number, afterSlug?: string): Promise<PageListRow[]> {
      return await repo.list(limit, afterSlug)
    },

    create: async (input: PageInput, actor: Actor): Promise<PageSaveResult> => await save(null, input, actor),
    edit: async (id: number, input: PageInput, actor: Actor): Promise<PageSaveResult> => await save(id, input, actor),

    async remove (id: number, actor: Actor): Promise<void> {
      await db.transaction(async (trx) => {
        const before = await repo.byId(id, trx)
        if (before === undefined) throw notFound(pageMessages.notFound)
        await repo.remove(id, trx)
        await deps.audit({ actorId: actor.id, action: 'page_delete', targetType: 'page', targetId: id, before: auditState(before), requestId: actor.requestId, at: actor.now }, trx)
      })
    }
  }
}

export type PagesService = ReturnType<typeof pagesService>
