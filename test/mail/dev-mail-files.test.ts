import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { simpleParser } from 'mailparser'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, csrfFrom, type TestApp } from '../helpers/app'
import { createUser } from '../helpers/factories'

/**
 * Development without SMTP_URL (src/features/mail/transport.ts fileTransport): a mail becomes an .eml file in
 * MAIL_DIR and its links are printed to the log, so 找回密码 can be tried on a laptop with no mail server.
 */
describe.each(dialects)('mail as .eml files without SMTP_URL on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })
  let dir: string
  let t: TestApp
  let log = ''

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'luntan-mail-'))
    // Development's readable log, into a string; load shedding off (a test process's event loop lags as Jest compiles).
    const stream = new PassThrough()
    stream.on('data', (chunk: Buffer) => { log += chunk.toString('utf8') })
    t = await buildTestApp(ctx.db, { env: { NODE_ENV: 'development', MAIL_DIR: dir, LOG_LEVEL: 'info', SITE_URL: 'http://bbs.example.com' }, logDestination: stream, loadShedding: { maxEventLoopDelay: 0 } })
  })
  afterAll(async () => {
    await t.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  /** The .eml files in MAIL_DIR, once there are `count` of them (the sender runs after the commit). */
  async function emlFiles (count: number): Promise<string[]> {
    for (let i = 0; i < 100; i++) {
      const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.eml'))
      if (files.length >= count) return files
      await t.app.mail.deliverDue()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`expected ${count} .eml files in ${dir}`)
  }

  it('writes the reset mail to MAIL_DIR (mailparser reads it, its link works) and prints the link to the log', async () => {
    await createUser(ctx.db.knex, { username: 'devmail', email: 'devmail@example.com' })
    const agent = t.agent()
    const form = await agent.get('/password/forgot').expect(200)
    await agent.post('/password/forgot').type('form').send({ _csrf: csrfFrom(form.text), email: 'devmail@example.com' }).expect(303)

    const files = await emlFiles(1)
    expect(files).toHaveLength(1)
    const file = path.join(dir, files[0] ?? '')
    const mail = await simpleParser(await fs.readFile(file))
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to
    expect(to?.value[0]?.address).toBe('devmail@example.com')
    expect(mail.subject).toMatch(/重设密码/)
    const link = /http:\/\/bbs\.example\.com\/password\/reset\/[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0]
    expect(link).toBeDefined()

    // The log line names the file and the link (what a developer clicks).
    expect(log).toContain(`mail written to ${file}: ${link ?? ''}`)

    const resetPath = new URL(link ?? '').pathname
    const page = await agent.get(resetPath).expect(200)
    expect(page.text).toContain('设置新密码')
    const set = await agent.post(resetPath).type('form').send({ _csrf: csrfFrom(page.text), password: 'dev-new-pass-1', password2: 'dev-new-pass-1' })
    expect(set.status).toBe(303)
    expect(set.headers.location).toBe('/settings')
  })
})
