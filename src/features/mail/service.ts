import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { outboxRepository, type OutgoingMail } from './repository'
import type { MailTransport } from './transport'

export type { OutgoingMail } from './repository'

/** The queue's bound: past this many unsent mails, new ones are dropped (and logged), never the page. */
export const MAX_PENDING = 10_000
/** Tries per mail: 30 s, 1, 2, 4 … minutes apart (capped at an hour), then it is marked failed. */
export const MAX_ATTEMPTS = 8
export const BACKOFF_BASE_SECONDS = 30
export const BACKOFF_MAX_SECONDS = 3600
/** How long a claim holds a row: a process that dies mid-send leaves it to others after this. */
export const CLAIM_SECONDS = 120
/** Rows taken per pass of the sender. */
const BATCH = 20
/** Sent rows are kept a week (what went out, for an admin), pruned at most once an hour. */
const KEEP_SENT_SECONDS = 7 * 86400
const PRUNE_EVERY_SECONDS = 3600

export const messages = {
  invalidAddress: 'mail address must be one line with an @'
} as const

export interface MailLog {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

export interface MailServiceDeps {
  db: Knex
  clock: Clock
  /** null: nothing is sent (tests without an SMTP server); mails wait in the outbox. */
  transport: MailTransport | null
  from: string
  log: MailLog
}

/** Seconds to wait before try number `attempts + 1`, after `attempts` failures. */
export function backoffSeconds (attempts: number): number {
  return Math.min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempts - 1))
}

/**
 * The outbox: `enqueue` writes a mail in the caller's transaction (so a mail exists exactly when the
 * change that caused it committed), and `deliverDue` sends what is due. Every app process runs the
 * sender; rows are claimed with a conditional UPDATE, so two processes never send one mail twice
 * (except a process dying between the SMTP server's "accepted" and marking the row sent: then the
 * claim expires and the mail goes again, at-least-once rather than lost).
 */
export function mailService ({ db, clock, transport, from, log }: MailServiceDeps) {
  const outbox = outboxRepository(db)
  const claimer = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`
  let running: Promise<number> | null = null
  let again = false
  let lastPrune = 0

  async function sendOne (id: number): Promise<boolean> {
    const now = clock.now()
    const row = await outbox.claim(id, claimer, now, now + CLAIM_SECONDS)
    if (row === null) return false
    try {
      if (transport === null) throw new Error('no mail transport')
      await transport.send({ from, to: row.to_address, subject: row.subject, text: row.text_body, ...(row.html_body !== null ? { html: row.html_body } : {}) })
      await outbox.markSent(id, claimer, clock.now())
      return true
    } catch (err) {
      const attempts = row.attempts + 1
      const giveUp = attempts >= MAX_ATTEMPTS
      const error = err instanceof Error ? err.message : String(err)
      await outbox.markFailed(id, claimer, attempts, giveUp, clock.now() + backoffSeconds(attempts), error)
      log.warn({ mailId: id, attempts, giveUp, err: error }, giveUp ? 'mail failed for good' : 'mail failed, will retry')
      return false
    }
  }

  async function pass (): Promise<number> {
    let sent = 0
    do {
      again = false
      const ids = await outbox.dueIds(clock.now(), BATCH)
      for (const id of ids) if (await sendOne(id)) sent++
      // A full batch may have more behind it.
      if (ids.length === BATCH) again = true
    } while (again)
    if (clock.now() - lastPrune >= PRUNE_EVERY_SECONDS) {
      lastPrune = clock.now()
      await outbox.pruneSent(clock.now() - KEEP_SENT_SECONDS)
    }
    return sent
  }

  const service = {
    /** 'smtp', 'files', or 'none' (mails wait in the outbox). */
    mode: transport?.kind ?? 'none',

    /**
     * Queues a mail in `trx` (or on its own when undefined); it is sent after the transaction commits
     * (a rollback takes the mail with it). Returns false when the queue is full: the mail is dropped and
     * logged, the caller's work goes on. Signature kept for the notifications' digests.
     */
    async enqueue (trx: Knex.Transaction | undefined, mail: OutgoingMail): Promise<boolean> {
      // One line with an @: no header injection through the address or the subject.
      if (/[\r\n]/.test(mail.to) || !mail.to.includes('@')) throw new Error(messages.invalidAddress)
      const subject = mail.subject.replace(/[\r\n]+/g, ' ').slice(0, 300)
      if (await outbox.countPending(trx) >= MAX_PENDING) {
        log.error({ to: mail.to, subject }, `mail outbox full (${MAX_PENDING} unsent): mail dropped`)
        return false
      }
      await outbox.insert({ ...mail, subject }, clock.now(), trx)
      if (trx === undefined) service.kick()
      else trx.executionPromise.then(() => { service.kick() }, () => {})
      return true
    },

    /**
     * Sends every due mail this process can claim; returns how many went out. Concurrent calls share
     * one pass (a call during a pass makes it look again before it ends).
     */
    async deliverDue (): Promise<number> {
      // Without a transport the rows wait for a process that has one (they are not tries that failed).
      if (transport === null) return 0
      if (running !== null) {
        again = true
        return await running
      }
      running = pass().finally(() => { running = null })
      return await running
    },

    /** Starts a pass in the background (after a commit, on the timer); errors are logged. */
    kick (): void {
      if (transport === null) return
      service.deliverDue().catch((err: unknown) => { log.error({ err }, 'mail sender pass failed') })
    },

    /** Waits for a pass in flight (the app's onClose). */
    async idle (): Promise<void> {
      if (running !== null) await running.catch(() => 0)
    }
  }
  return service
}

export type MailService = ReturnType<typeof mailService>
