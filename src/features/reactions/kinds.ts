import type { Knex } from 'knex'
import type { AuditEntry } from '../moderation'
import type { ReactionKindRow, ReactionsRepository } from './repository'

/**
 * The admin side of the 表态 kinds (/admin/reactions): rename, change the icon, enable/disable and
 * reorder. A kind is found by its stable key, which is also the counter column it feeds
 * (articles.react_<key>), so none of this moves a count. Each change is one transaction with its
 * audit row (before/after). No Fastify types here.
 */

export const KIND_NAME_MAX = 8

export const kindMessages = {
  notFound: '该表态不存在',
  name: `名称需为 1–${KIND_NAME_MAX} 个字`,
  icon: '请从列表中选择图标',
  lastEnabled: '至少要保留一种启用的表态',
  saved: '表态已保存',
  moved: '顺序已调整',
  disabled: '该表态已停用'
} as const

export interface KindChange { name: string, icon: string, enabled: boolean }
export interface ActionContext { actorId: number, now: number, requestId: string }
export type KindAudit = (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>

export type KindResult = { ok: true } | { ok: false, status: 400 | 404, error: string }

export interface KindsAdminDeps {
  db: Knex
  repo: ReactionsRepository
  /** The icons an admin may choose (URLs under /static/img/reactions/). */
  icons: readonly string[]
  audit: KindAudit
  /** Called after a change commits: this process's kinds cache is dropped at once. */
  changed: () => void
}

function snapshot (k: ReactionKindRow): Record<string, unknown> {
  return { key: k.key, name: k.name, icon: k.icon, enabled: k.enabled, display_order: k.display_order }
}

export function reactionKindsAdmin (deps: KindsAdminDeps) {
  const { db, repo } = deps

  return {
    icons: deps.icons,

    /** The kinds as stored now (no cache: the admin page shows what is in the table). */
    list: async (): Promise<ReactionKindRow[]> => await repo.kinds(),

    /** Checks a posted change; null when it may be saved. */
    check (change: KindChange): string | null {
      const name = change.name.trim()
      if (name === '' || [...name].length > KIND_NAME_MAX) return kindMessages.name
      if (!deps.icons.includes(change.icon)) return kindMessages.icon
      return null
    },

    async update (key: string, change: KindChange, ctx: ActionContext): Promise<KindResult> {
      const error = this.check(change)
      if (error !== null) return { ok: false, status: 400, error }
      const next = { name: change.name.trim(), icon: change.icon, enabled: change.enabled }
      const result = await db.transaction(async (trx): Promise<KindResult> => {
        const kinds = await repo.kinds(trx)
        const kind = kinds.find((k) => k.key === key)
        if (kind === undefined) return { ok: false, status: 404, error: kindMessages.notFound }
        if (!next.enabled && kinds.every((k) => k.key === key || !k.enabled)) return { ok: false, status: 400, error: kindMessages.lastEnabled }
        if (kind.name === next.name && kind.icon === next.icon && kind.enabled === next.enabled) return { ok: true }
        await repo.updateKind(key, next, trx)
        await deps.audit({
          actorId: ctx.actorId, action: 'reaction_kind_update', targetType: 'reaction_kind', targetId: 0, reason: key,
          before: snapshot(kind), after: snapshot({ ...kind, ...next }), requestId: ctx.requestId, at: ctx.now
        }, trx)
        return { ok: true }
      })
      if (result.ok) deps.changed()
      return result
    },

    /** Moves a kind one place up or down; the order is renumbered 1..n so ties from old data settle. */
    async move (key: string, direction: 'up' | 'down', ctx: ActionContext): Promise<KindResult> {
      const result = await db.transaction(async (trx): Promise<KindResult> => {
        const kinds = await repo.kinds(trx)
        const at = kinds.findIndex((k) => k.key === key)
        if (at < 0) return { ok: false, status: 404, error: kindMessages.notFound }
        const to = direction === 'up' ? at - 1 : at + 1
        if (to < 0 || to >= kinds.length) return { ok: true }
        const order = kinds.map((k) => k.key)
        order.splice(at, 1)
        order.splice(to, 0, key)
        for (const [i, k] of order.entries()) {
          const old = kinds.find((x) => x.key === k)
          if (old?.display_order !== i + 1) await repo.setOrder(k, i + 1, trx)
        }
        await deps.audit({
          actorId: ctx.actorId, action: 'reaction_kind_move', targetType: 'reaction_kind', targetId: 0, reason: key,
          before: { order: kinds.map((k) => k.key) }, after: { order }, requestId: ctx.requestId, at: ctx.now
        }, trx)
        return { ok: true }
      })
      if (result.ok) deps.changed()
      return result
    }
  }
}

export type ReactionKindsAdmin = ReturnType<typeof reactionKindsAdmin>
