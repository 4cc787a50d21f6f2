import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { formatDateTime } from '../../lib/dates'
import type { MailService } from '../mail'
import type { NotificationGroup, NotificationsService } from '../notifications'

/**
 * The hourly e-mail digest of 提醒: every app process runs a pass on a timer; each member who set some
 * kind to 站内提醒 + 邮件摘要 and has unread notices of those kinds not mailed yet gets one mail, at most
 * one an hour. The claim (notifications.takeDigest) and the outbox row (mail.enqueue) share one
 * transaction: either both happen or neither, and a second process finds the member's turn taken.
 * No Fastify here.
 */

/** Members looked at per query of a pass. */
const BATCH = 100

export interface DigestRecipient { email: string, username: string }

export interface DigestLog {
  error: (obj: object, msg: string) => void
}

export interface NotificationDigestDeps {
  db: Knex
  clock: Clock
  notifications: Pick<NotificationsService, 'digestCandidates' | 'takeDigest'>
  mail: Pick<MailService, 'enqueue'>
  /**
   * Where the member's digest goes, or null: no address, or not verified while the site requires
   * verification (a digest to an unconfirmed address could be mail to a stranger).
   */
  recipient: (userId: number) => Promise<DigestRecipient | null>
  siteName: () => Promise<string>
  timeZone: () => Promise<string>
  /** The site's absolute address as it is now (站点网址, else SITE_URL), for the links: no request to take it from. */
  origin: () => Promise<string>
  log: DigestLog
}

export function digestMail (d: { username: string, siteName: string, origin: string, timeZone: string, groups: NotificationGroup[], count: number, more: boolean }): { subject: string, text: string } {
  const lines = [`${d.username}，您好：`, '', `您在${d.siteName}有 ${d.count} 条新提醒：`, '']
  for (const g of d.groups) {
    lines.push(g.url !== '' ? `【${g.title}】 ${d.origin}${g.url}` : `【${g.title}】`)
    for (const item of g.items) {
      const who = item.actorName !== '' && item.kind !== 'article_reaction' ? `${item.actorName} ` : ''
      const reason = item.kind === 'banned' || item.kind === 'unbanned' ? item.title : ''
      lines.push(`  · ${formatDateTime(item.at, d.timeZone)}  ${who}${item.text}${reason}`)
    }
    lines.push('')
  }
  if (d.more) lines.push('还有更多提醒，将在下一封摘要中列出。', '')
  lines.push(`查看全部提醒：${d.origin}/notifications`, `不想再收到邮件摘要？请在这里修改提醒设置：${d.origin}/notifications/settings`, '')
  return { subject: `【${d.siteName}】您有 ${d.count} 条新提醒`, text: lines.join('\n') }
}

export function notificationDigestService (deps: NotificationDigestDeps) {
  const { db, clock, notifications, mail, log } = deps
  let running: Promise<number> | null = null

  /** One member's digest: true when a mail was queued. */
  async function sendTo (userId: number, now: number, siteName: string, timeZone: string, origin: string): Promise<boolean> {
    // Read before the transaction: on SQLite the transaction holds the only connection.
    const to = await deps.recipient(userId)
    if (to === null) return false
    return await db.transaction(async (trx) => {
      const digest = await notifications.takeDigest(trx, userId, now)
      if (digest === null) return false
      const { subject, text } = digestMail({ username: to.username, siteName, origin, timeZone, ...digest })
      if (!await mail.enqueue(trx, { to: to.email, subject, text })) throw new Error('mail outbox full: digest kept for the next pass')
      return true
    })
  }

  async function pass (): Promise<number> {
    const now = clock.now()
    const [siteName, timeZone, origin] = [await deps.siteName(), await deps.timeZone(), await deps.origin()]
    let sent = 0
    let after = 0
    for (;;) {
      const ids = await notifications.digestCandidates(after, now, BATCH)
      for (const id of ids) {
        try {
          if (await sendTo(id, now, siteName, timeZone, origin)) sent++
        } catch (err) {
          // One member's failure (a full outbox, a lost connection) must not stop the others' digests.
          log.error({ err, userId: id }, 'notification digest failed')
        }
      }
      const last = ids[ids.length - 1]
      if (ids.length < BATCH || last === undefined) break
      after = last
    }
    return sent
  }

  const service = {
    /** Queues every digest due now; returns how many. Concurrent calls in one process share a pass. */
    async sendDue (): Promise<number> {
      if (running !== null) return await running
      running = pass().finally(() => { running = null })
      return await running
    },

    /** A pass in the background (the timer); errors are logged. */
    kick (): void {
      service.sendDue().catch((err: unknown) => { log.error({ err }, 'notification digest pass failed') })
    },

    /** Waits for a pass in flight (before the pool closes). */
    async idle (): Promise<void> {
      if (running !== null) await running.catch(() => 0)
    }
  }
  return service
}

export type NotificationDigestService = ReturnType<typeof notificationDigestService>
