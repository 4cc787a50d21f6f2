import type { Knex } from 'knex'
import { auditLog, type AuditEntry } from '../moderation/audit'

/**
 * Every admin-centre change goes through this one function into the append-only audit log, in the
 * caller's transaction (the change and its row commit together). The moderation feature is about to
 * expose its log on the app; when it does, only the body of this function changes.
 */
export function recordAdminAction (db: Knex, entry: AuditEntry, trx: Knex.Transaction): Promise<void> {
  return auditLog(db).record(entry, trx)
}

export type AdminAudit = (entry: AuditEntry, trx: Knex.Transaction) => Promise<void>
