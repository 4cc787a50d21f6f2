import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

/**
 * A real SMTP server on a random local port (the `smtp-server` package) that keeps every message it
 * accepts, parsed by `mailparser`. `failing = true` answers each message with a temporary 451 (a
 * server in trouble), so the outbox's retries can be watched.
 */
export interface TestSmtp {
  readonly url: string
  readonly received: ParsedMail[]
  failing: boolean
  /** How many messages were refused while failing. */
  refused: number
  /** Resolves when `count` messages have arrived in all (or rejects after `timeoutMs`). */
  waitFor: (count: number, timeoutMs?: number) => Promise<ParsedMail[]>
  close: () => Promise<void>
}

export async function startTestSmtp (): Promise<TestSmtp> {
  const received: ParsedMail[] = []
  const waiters: Array<() => void> = []
  const state = { failing: false, refused: 0 }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        if (state.failing) {
          state.refused++
          const err = new Error('try again later') as Error & { responseCode: number }
          err.responseCode = 451
          callback(err)
          return
        }
        received.push(mail)
        callback()
        for (const w of waiters.splice(0)) w()
      }, (err: Error) => { callback(err) })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  const smtp: TestSmtp = {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get failing () { return state.failing },
    set failing (v: boolean) { state.failing = v },
    get refused () { return state.refused },
    set refused (v: number) { state.refused = v },
    async waitFor (count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`expected ${count} mails, got ${received.length}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200))
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
      return received
    },
    close: async () => { await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
  return smtp
}

/** The first link in a mail's text that goes to `path` (e.g. /password/reset/). */
export function linkIn (mail: ParsedMail, path: string): string {
  const m = new RegExp(`https?://[^\\s]+${path.replace(/[/]/g, '\\/')}[A-Za-z0-9_-]+`).exec(mail.text ?? '')
  if (m === null) throw new Error(`no ${path} link in mail: ${mail.text ?? ''}`)
  return m[0]
}

/** The recipient address of a parsed mail. */
export function recipient (mail: ParsedMail): string {
  const to = mail.to
  const first = Array.isArray(to) ? to[0] : to
  return first?.value[0]?.address ?? ''
}
