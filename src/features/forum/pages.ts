import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AuthUser } from '../../lib/permissions'
import type { Board } from './boards'
import type { ModerationContext } from './context'

/** What the forum's route modules share: breadcrumbs, the moderation context, the schemas' pieces. */

export function boardCrumbs (path: readonly Board[], lastIsLink: boolean): Array<{ label: string, url?: string }> {
  return [{ label: '论坛', url: '/forum' }, ...path.map((b, i) => ({
    label: b.name,
    url: b.isGroup ? `/forum#group-${b.id}` : (i === path.length - 1 && !lastIsLink ? undefined : `/forum/${b.id}`)
  }))]
}

/** Who acts, when, under which request id, and why (the form's 理由, stored in the audit row). */
export function moderationContext (request: FastifyRequest, actor: AuthUser, now: number, reason: string | undefined): ModerationContext {
  return { actor, now, requestId: request.id, reason: reason ?? '' }
}

/**
 * Schema pieces. Ids in the URL stay strings: one that is not a number is the forum's Chinese 404
 * (parseId), as before schemas. `?page=abc` is page 1 (parsePageParam), and unknown query
 * parameters are ignored. Form fields carry caps far above the service's rules (80-character
 * titles, 20,000-character bodies), so those rules still answer with the form and what was typed;
 * only absurd input meets the schema's Chinese 400, which names the field.
 */
export const FormText = Type.Optional(Type.String({ maxLength: 1000 }))
export const PostBody = Type.Optional(Type.String({ maxLength: 200_000 }))
export const PageQuery = Type.Object({ page: Type.Optional(Type.String()) })
export const BoardParams = Type.Object({ fid: Type.String() })
export const ThreadParams = Type.Object({ tid: Type.String() })
export const PostParams = Type.Object({ pid: Type.String() })
/** A moderator's form: the reason is optional (a button with no text field sends none). */
export const ReasonBody = Type.Object({ reason: FormText })
