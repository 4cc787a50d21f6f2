import fs from 'node:fs/promises'
import path from 'node:path'
import nodemailer from 'nodemailer'

/** A mail ready for the wire. */
export interface MailMessage {
  from: string
  to: string
  subject: string
  text: string
  html?: string
}

/** Where mail goes: an SMTP server, or .eml files (development without SMTP_URL). */
export interface MailTransport {
  readonly kind: 'smtp' | 'files'
  send: (message: MailMessage) => Promise<void>
  close: () => void
}

/** Links in a mail's text, for the development console (the reset or verification link to click). */
export function linksIn (text: string): string[] {
  return text.match(/https?:\/\/[^\s<>"]+/g) ?? []
}

/**
 * SMTP through nodemailer: `smtp://` upgrades with STARTTLS when the server offers it, `smtps://` is TLS
 * from the start. Short timeouts: a hung server costs the sender loop, never a page (pages only write
 * the outbox), but it should not hold a claimed row for long either.
 */
export function smtpTransport (url: string): MailTransport {
  const transporter = nodemailer.createTransport(url, {})
  const options = transporter.options as Record<string, unknown>
  options.connectionTimeout ??= 15_000
  options.greetingTimeout ??= 10_000
  options.socketTimeout ??= 30_000
  return {
    kind: 'smtp',
    async send (message) {
      await transporter.sendMail(message)
    },
    close () { transporter.close() }
  }
}

/**
 * Development without SMTP_URL: each mail is written as an .eml file (open it in a mail program) and its
 * links are handed to `onWritten` (printed to the console), so 找回密码 can be tried without a server.
 */
export function fileTransport (dir: string, onWritten: (file: string, message: MailMessage, links: string[]) => void): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  let n = 0
  return {
    kind: 'files',
    async send (message) {
      const info = await transporter.sendMail(message)
      const raw = info.message
      if (!Buffer.isBuffer(raw)) throw new Error('nodemailer stream transport gave no buffer')
      await fs.mkdir(dir, { recursive: true })
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++n}.eml`)
      await fs.writeFile(file, raw)
      onWritten(file, message, linksIn(message.text))
    },
    close () {}
  }
}
