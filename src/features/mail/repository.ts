import type { Knex } from 'knex'

export interface OutboxRow {
  id: number
  to_address: string
  subject: string
  text_body: string
  html_body: string | null
  status: 'pending' | 'sent' | 'failed'
  attempts: number
  next_attempt_at: number
  claimed_until: number
  claimed_by: string | null
  last_error: string
  created_at: number
  sent_at: number | null
}

export interface OutgoingMail {
  to: string
  subject: string
  text: string
  html?: string
}

/** Knex over `mail_outbox` only. Every method takes the caller's transaction where it matters. */
export function outboxRepository (db: Knex) {
  return {
    async insert (mail: OutgoingMail, now: number, trx?: Knex.Transaction): Promise<number> {
      const [id] = await (trx ?? db)('mail_outbox').insert({
        to_address: mail.to,
        subject: mail.subject,
        text_body: mail.text,
        html_body: mail.html ?? null,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        claimed_until: 0,
        created_at: now
      })
      if (typeof id !== 'number') throw new Error('insert returned no id')
      return id
    },

    /** Pending rows, counted through the (status, next_attempt_at) index: the queue's bound. */
    async countPending (trx?: Knex.Transaction): Promise<number> {
      const row = await (trx ?? db)('mail_outbox').where({ status: 'pending' }).first<{ n: number | string } | undefined>(db.raw('count(*) as n'))
      return Number(row?.n ?? 0)
    },

    /** Ids of pending rows due now and not claimed by a live sender, oldest due first. */
    async dueIds (now: number, limit: number): Promise<number[]> {
      const rows = await db('mail_outbox')
        .where({ status: 'pending' }).andWhere('next_attempt_at', '<=', now).andWhere('claimed_until', '<=', now)
        .orderBy('next_attempt_at').orderBy('id').limit(limit).select<Array<{ id: number }>>('id')
      return rows.map((r) => r.id)
    },

    /**
     * Claims one row for `claimer` until `until`: a conditional UPDATE, so of two processes that saw
     * the same row due, exactly one changes it (affected rows 1) and sends it.
     */
    async claim (id: number, claimer: string, now: number, until: number): Promise<OutboxRow | null> {
      const changed = await db('mail_outbox')
        .where({ id, status: 'pending' }).andWhere('claimed_until', '<=', now)
        .update({ claimed_until: until, claimed_by: claimer })
      if (changed !== 1) return null
      return (await db<OutboxRow>('mail_outbox').where({ id, claimed_by: claimer }).first()) ?? null
    },

    async markSent (id: number, claimer: string, now: number): Promise<void> {
      await db('mail_outbox').where({ id, claimed_by: claimer })
        .update({ status: 'sent', sent_at: now, attempts: db.raw('attempts + 1'), claimed_until: 0, last_error: '' })
    },

    /** A failed try: back off to `nextAt`, or give up (`failed`) after the last attempt. */
    async markFailed (id: number, claimer: string, attempts: number, giveUp: boolean, nextAt: number, error: string): Promise<void> {
      await db('mail_outbox').where({ id, claimed_by: claimer }).update({
        status: giveUp ? 'failed' : 'pending', attempts, next_attempt_at: nextAt, claimed_until: 0, last_error: error.slice(0, 500)
      })
    },

    /** Sent mail older than the cutoff (its next_attempt_at is when it was last due, before it was sent). */
    async pruneSent (cutoff: number): Promise<number> {
      return await db('mail_outbox').where({ status: 'sent' }).andWhere('next_attempt_at', '<', cutoff).delete()
    }
  }
}

export type OutboxRepository = ReturnType<typeof outboxRepository>
