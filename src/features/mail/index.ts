import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import { mailService, type MailService } from './service'
import { fileTransport, smtpTransport, type MailTransport } from './transport'

export type { MailService, OutgoingMail } from './service'
export { backoffSeconds, MAX_ATTEMPTS, MAX_PENDING } from './service'

declare module 'fastify' {
  interface FastifyInstance {
    /** Outgoing mail: `enqueue(trx, mail)` writes the outbox in the caller's transaction; sent after commit. */
    mail: MailService
  }
}

export interface MailPluginOptions {
  config: AppConfig
  /** How often the sender looks for due mail besides the kick after each commit (default 5 s; 0: never). */
  pollMs?: number
}

export const DEFAULT_MAIL_POLL_MS = 5000

/**
 * The mail feature: the outbox service as `app.mail`, and this process's sender loop. The transport is
 * SMTP_URL's server; without it, development and production write .eml files to MAIL_DIR and print the
 * links (production also warns at start), and tests send nothing unless they set SMTP_URL.
 */
export default fp<MailPluginOptions>(async (app, opts) => {
  const { config } = opts
  let transport: MailTransport | null = null
  if (config.smtpUrl !== null) transport = smtpTransport(config.smtpUrl)
  else if (config.nodeEnv !== 'test') {
    transport = fileTransport(config.mailDir, (file, message, links) => {
      app.log.info({ file, to: message.to, subject: message.subject, links }, `mail written to ${file}${links.length > 0 ? `: ${links.join(' ')}` : ''}`)
    })
    if (config.nodeEnv === 'production') app.log.warn(`SMTP_URL is not set: mails are written to ${config.mailDir}/ and not sent`)
  }
  const service = mailService({ db: app.db, clock: app.clock, transport, from: config.mailFrom, log: app.log })
  app.decorate('mail', service)

  const pollMs = opts.pollMs ?? DEFAULT_MAIL_POLL_MS
  let timer: NodeJS.Timeout | null = null
  app.addHook('onReady', async () => {
    if (transport === null) return
    // Mail left unsent by a previous run (or another process) goes out at start, then on the timer.
    service.kick()
    if (pollMs > 0) {
      timer = setInterval(() => { service.kick() }, pollMs)
      timer.unref()
    }
  })
  // preClose: before the database plugin's onClose ends the pool, so a pass in flight can finish.
  app.addHook('preClose', async () => {
    if (timer !== null) clearInterval(timer)
    await service.idle()
    transport?.close()
  })
}, { name: 'mail', dependencies: ['db', 'clock'] })
