import type { Knex } from 'knex'
import type { AuditEntry } from '../moderation'
import type { PublishingService } from '../portal'
import { categoryEditorsRepository, type CategoryEditorRow } from './repository'

/**
 * 频道编辑: an admin grants a member the right to publish in one category, or takes it back, from the
 * category's edit page. The same rows and the same rule as `npm run cli -- editor:grant`: the grant goes
 * through the publishing service, and a plain member becomes an editor with it (moderators and
 * admins keep their role; a revoke leaves the role). Each change and its audit row commit together.
 * No Fastify types here.
 */

export const categoryEditorMessages = {
  usernameEmpty: '请输入要授权的用户名',
  memberMissing: (name: string) => `用户“${name}”不存在`,
  already: (name: string) => `“${name}”已是本分类的编辑`,
  notEditor: '该用户不是本分类的编辑'
} as const

export interface EditorActor { id: number, now: number, requestId?: string }
export type EditorResult = { ok: true, username: string } | { ok: false, message: string }

export interface CategoryEditorsDeps {
  db: Knex
  /** The grants live in the portal's publishing rules (`app.publishing`), as for `editor:grant`. */
  publishing: Pick<PublishingService, 'grant' | 'revoke'>
  audit: (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>
}

export function categoryEditorsService (deps: CategoryEditorsDeps) {
  const repo = categoryEditorsRepository(deps.db)

  return {
    list: async (categoryId: number): Promise<CategoryEditorRow[]> => await repo.list(categoryId),

    /** Grants the category to the member named (any case); refuses an unknown name or a grant already held. */
    async grant (categoryId: number, rawName: unknown, actor: EditorActor): Promise<EditorResult> {
      const name = typeof rawName === 'string' ? rawName.trim() : ''
      if (name === '') return { ok: false, message: categoryEditorMessages.usernameEmpty }
      return await deps.db.transaction(async (trx) => {
        const member = await repo.memberByName(name, trx)
        if (member === null) return { ok: false, message: categoryEditorMessages.memberMissing(name) }
        if (!await deps.publishing.grant(member.id, categoryId, actor.now, trx)) return { ok: false, message: categoryEditorMessages.already(member.username) }
        if (member.role === 'member') await repo.makeEditor(member.id, trx)
        await deps.audit({
          actorId: actor.id, action: 'category_editor_grant', targetType: 'category', targetId: categoryId, targetUserId: member.id,
          before: { role: member.role }, after: { role: member.role === 'member' ? 'editor' : member.role, username: member.username },
          requestId: actor.requestId, at: actor.now
        }, trx)
        return { ok: true, username: member.username }
      })
    },

    async revoke (categoryId: number, userId: number, actor: EditorActor): Promise<EditorResult> {
      return await deps.db.transaction(async (trx) => {
        const member = await repo.memberById(userId, trx)
        if (member === null || !await deps.publishing.revoke(member.id, categoryId, trx)) return { ok: false, message: categoryEditorMessages.notEditor }
        await deps.audit({
          actorId: actor.id, action: 'category_editor_revoke', targetType: 'category', targetId: categoryId, targetUserId: member.id,
          before: { username: member.username }, requestId: actor.requestId, at: actor.now
        }, trx)
        return { ok: true, username: member.username }
      })
    }
  }
}

export type CategoryEditorsService = ReturnType<typeof categoryEditorsService>
