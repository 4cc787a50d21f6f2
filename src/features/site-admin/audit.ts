import type { Knex } from 'knex'
import type { AuditEntry, AuditLog } from '../moderation'

/**
 * Every admin-centre change goes through this one function into the append-only audit log (the
 * moderation feature's `app.moderation.audit`), in the caller's transaction: the change and its row
 * commit together.
 */
export function recordAdminAction (audit: AuditLog, entry: AuditEntry, trx: Knex.Transaction): Promise<void> {
  return audit.record(entry, trx)
}

export type AdminAudit = (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>
