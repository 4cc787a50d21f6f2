import type { Knex } from 'knex'

/**
 * The moderation audit trail. Append-only by construction: this module is the only code that
 * touches `moderation_log`, and it offers `record` and `list`, nothing that updates or deletes.
 * Callers pass their transaction, so an action and its audit row commit or fail together.
 */

export type AuditTargetType = 'user' | 'comment' | 'article' | 'thread' | 'post' | 'setting' | 'page' | 'category' | 'board' | 'reaction_kind' | 'word' | 'ip_ban'

export interface AuditEntry {
  actorId: number
  /** e.g. category_create/edit/order/move_articles/delete, board_create/edit/order/delete, settings_update, page_create, page_edit, page_delete, ban, lift_ban, comment_delete, comment_approve, article_status, thread_pin, thread_close, thread_move, thread_delete, post_delete */
  action: string
  targetType: AuditTargetType
  targetId: number
  /** The member affected (the banned member, a comment's author), when there is one. */
  targetUserId?: number | null
  reason?: string
  before?: unknown
  after?: unknown
  requestId?: string
  at: number
}

export interface AuditRow {
  id: number
  actor_id: number
  actor_name: string
  action: string
  target_user_id: number | null
  target_user_name: string | null
  target_type: string
  target_id: number
  reason: string
  before_state: string | null
  after_state: string | null
  created_at: number
  request_id: string
}

/** `since` (inclusive) and `until` (exclusive) are Unix seconds, for the admin log's date range. */
export interface AuditFilter { actorId?: number, targetUserId?: number, action?: string, since?: number, until?: number }

function auditRow (entry: AuditEntry): Record<string, unknown> {
  return {
    actor_id: entry.actorId,
    action: entry.action,
    target_user_id: entry.targetUserId ?? null,
    target_type: entry.targetType,
    target_id: entry.targetId,
    reason: (entry.reason ?? '').slice(0, 255),
    before_state: entry.before === undefined ? null : JSON.stringify(entry.before),
    after_state: entry.after === undefined ? null : JSON.stringify(entry.after),
    created_at: entry.at,
    request_id: (entry.requestId ?? '').slice(0, 32)
  }
}

export function auditLog (db: Knex) {
  return {
    async record (entry: AuditEntry, trx?: Knex.Transaction): Promise<void> {
      await (trx ?? db)('moderation_log').insert(auditRow(entry))
    },

    /** Many entries at once, still append-only (the Discuz importer's history of bans, a batch at a time). */
    async recordMany (entries: readonly AuditEntry[], trx?: Knex.Transaction): Promise<void> {
      for (let i = 0; i < entries.length; i += 200) await (trx ?? db)('moderation_log').insert(entries.slice(i, i + 200).map(auditRow))
    },

    /** Newest first, keyset-paginated by id (`beforeId`). */
    async list (filter: AuditFilter, limit: number, beforeId?: number): Promise<AuditRow[]> {
      const q = db('moderation_log as l')
        .join('users as a', 'a.id', 'l.actor_id')
        .leftJoin('users as t', 't.id', 'l.target_user_id')
        .select<AuditRow[]>('l.*', 'a.username as actor_name', 't.username as target_user_name')
        .orderBy('l.id', 'desc').limit(limit)
      if (filter.actorId !== undefined) void q.where('l.actor_id', filter.actorId)
      if (filter.targetUserId !== undefined) void q.where('l.target_user_id', filter.targetUserId)
      if (filter.action !== undefined) void q.where('l.action', filter.action)
      if (filter.since !== undefined) void q.where('l.created_at', '>=', filter.since)
      if (filter.until !== undefined) void q.where('l.created_at', '<', filter.until)
      if (beforeId !== undefined) void q.where('l.id', '<', beforeId)
      return await q
    }
  }
}

export type AuditLog = ReturnType<typeof auditLog>
