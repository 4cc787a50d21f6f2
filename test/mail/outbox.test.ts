import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { buildTestApp, type TestApp } from '../helpers/app'
import { startTestSmtp, recipient, type TestSmtp } from '../helpers/smtp'
import { backoffSeconds, MAX_ATTEMPTS, MAX_PENDING } from '../../src/features/mail'

/** The mail outbox (src/features/mail): written in the caller's transaction, sent after commit, retried, never twice. */
describe.each(dialects)('mail outbox on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })
  let smtp: TestSmtp
  const apps: TestApp[] = []
  const open = async (withSmtp: boolean): Promise<TestApp> => {
    const t = await buildTestApp(ctx.db, { knex: ctx.db.connect(), env: withSmtp ? { SMTP_URL: smtp.url, MAIL_FROM: '论坛 <noreply@example.com>' } : {} })
    apps.push(t)
    return t
  }
  const closeAll = async (): Promise<void> => {
    for (const t of apps.splice(0)) {
      await t.close()
      await t.app.db.destroy()
    }
  }

  beforeAll(async () => { smtp = await startTestSmtp() })
  beforeEach(async () => {
    smtp.received.length = 0
    smtp.failing = false
    smtp.refused = 0
    await ctx.db.knex('mail_outbox').delete()
  })
  afterEach(closeAll)
  afterAll(async () => { await smtp.close() })

  it('writes nothing when the caller\'s transaction rolls back, and sends after a commit', async () => {
    const t = await open(true)
    await expect(t.app.db.transaction(async (trx) => {
      await t.app.mail.enqueue(trx, { to: 'a@example.com', subject: '回滚', text: 'x' })
      throw new Error('rolled back')
    })).rejects.toThrow('rolled back')
    await t.app.db.transaction(async (trx) => {
      await t.app.mail.enqueue(trx, { to: 'b@example.com', subject: '提交', text: '正文 https://example.com/x' })
    })
    const [mail] = await smtp.waitFor(1)
    await t.app.mail.deliverDue() // the pass that sent it has marked it sent
    expect(mail?.subject).toBe('提交')
    expect(recipient(mail!)).toBe('b@example.com')
    expect(mail?.from?.value[0]?.address).toBe('noreply@example.com')
    expect(await countRows(ctx.db.knex, 'mail_outbox')).toBe(1)
    expect(await countRows(ctx.db.knex, 'mail_outbox', { status: 'sent' })).toBe(1)
    expect(smtp.received.map((m) => m.subject)).toEqual(['提交'])
  })

  it('keeps mail across a restart: rows written by an app that cannot send are sent by the next one', async () => {
    const first = await open(false)
    await first.app.mail.enqueue(undefined, { to: 'c@example.com', subject: '重启前 1', text: 'x' })
    await first.app.mail.enqueue(undefined, { to: 'd@example.com', subject: '重启前 2', text: 'y' })
    expect(await first.app.mail.deliverDue()).toBe(0)
    await closeAll()
    expect(await countRows(ctx.db.knex, 'mail_outbox', { status: 'pending' })).toBe(2)
    expect(smtp.received).toHaveLength(0)
    // The new process sends what it finds as it starts (no request needed).
    const second = await open(true)
    await smtp.waitFor(2)
    await second.app.mail.deliverDue() // the start-up pass has marked both sent
    expect(smtp.received.map((m) => m.subject).sort()).toEqual(['重启前 1', '重启前 2'])
    expect(await countRows(ctx.db.knex, 'mail_outbox', { status: 'sent' })).toBe(2)
  })

  it('retries a failing SMTP server with backoff, then sends once it recovers', async () => {
    const t = await open(true)
    smtp.failing = true
    await t.app.mail.enqueue(undefined, { to: 'e@example.com', subject: '重试', text: 'x' })
    // The kick after the enqueue may still be on its way (a loaded machine): wait for its first try.
    for (let i = 0; i < 100 && smtp.refused === 0; i++) {
      await t.app.mail.deliverDue()
      if (smtp.refused === 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await t.app.mail.deliverDue()
    expect(smtp.refused).toBe(1)
    let row = await ctx.db.knex('mail_outbox').first()
    expect(row).toMatchObject({ status: 'pending', attempts: 1 })
    expect(Number(row.next_attempt_at)).toBe(t.clock.now() + backoffSeconds(1))
    expect(String(row.last_error)).toMatch(/451/)
    // Not due yet: nothing is tried.
    expect(await t.app.mail.deliverDue()).toBe(0)
    expect(smtp.refused).toBe(1)
    t.clock.advance(backoffSeconds(1))
    await t.app.mail.deliverDue()
    expect(smtp.refused).toBe(2)
    row = await ctx.db.knex('mail_outbox').first()
    expect(Number(row.next_attempt_at)).toBe(t.clock.now() + backoffSeconds(2))
    expect(backoffSeconds(2)).toBe(2 * backoffSeconds(1))
    smtp.failing = false
    t.clock.advance(backoffSeconds(2))
    expect(await t.app.mail.deliverDue()).toBe(1)
    expect(smtp.received.map((m) => m.subject)).toEqual(['重试'])
    row = await ctx.db.knex('mail_outbox').first()
    expect(row).toMatchObject({ status: 'sent', attempts: 3 })
  }, 60_000)

  it('gives up after the last attempt (failed, never sent again)', async () => {
    const t = await open(true)
    smtp.failing = true
    await t.app.mail.enqueue(undefined, { to: 'f@example.com', subject: '放弃', text: 'x' })
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await t.app.mail.deliverDue()
      t.clock.advance(3600)
    }
    expect(smtp.refused).toBe(MAX_ATTEMPTS)
    expect(await ctx.db.knex('mail_outbox').first()).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS })
    smtp.failing = false
    t.clock.advance(86400)
    expect(await t.app.mail.deliverDue()).toBe(0)
    expect(smtp.received).toHaveLength(0)
  })

  it('never sends one mail twice when two processes run their senders at once', async () => {
    const writer = await open(false)
    for (let i = 0; i < 20; i++) await writer.app.mail.enqueue(undefined, { to: `p${i}@example.com`, subject: `并发 ${i}`, text: 'x' })
    const [a, b] = [await open(true), await open(true)]
    await Promise.all([a.app.mail.deliverDue(), b.app.mail.deliverDue(), a.app.mail.deliverDue(), b.app.mail.deliverDue()])
    await smtp.waitFor(20, 60_000)
    // Anything still in flight (the start-up kicks) has finished once both apps are idle.
    await Promise.all([a.app.mail.deliverDue(), b.app.mail.deliverDue()])
    const subjects = smtp.received.map((m) => m.subject)
    expect(subjects).toHaveLength(20)
    expect(new Set(subjects).size).toBe(20)
    expect(await countRows(ctx.db.knex, 'mail_outbox', { status: 'sent' })).toBe(20)
  }, 120_000)

  it('is bounded: past MAX_PENDING unsent mails a new one is dropped (logged), the caller goes on', async () => {
    const t = await open(false)
    const rows = Array.from({ length: MAX_PENDING }, (_, i) => ({
      to_address: `q${i}@example.com`, subject: 's', text_body: 't', status: 'pending', attempts: 0, next_attempt_at: 0, claimed_until: 0, created_at: 0
    }))
    await ctx.db.knex.batchInsert('mail_outbox', rows, 500)
    expect(await t.app.mail.enqueue(undefined, { to: 'over@example.com', subject: '满了', text: 'x' })).toBe(false)
    expect(await countRows(ctx.db.knex, 'mail_outbox')).toBe(MAX_PENDING)
    const some = await ctx.db.knex('mail_outbox').orderBy('id').limit(10).pluck('id')
    await ctx.db.knex('mail_outbox').whereIn('id', some).update({ status: 'sent' })
    expect(await t.app.mail.enqueue(undefined, { to: 'room@example.com', subject: '有空位', text: 'x' })).toBe(true)
  })

  it('refuses an address or subject that would inject a header', async () => {
    const t = await open(false)
    await expect(t.app.mail.enqueue(undefined, { to: 'a@example.com\r\nBcc: x@evil.test', subject: 's', text: 't' })).rejects.toThrow()
    await t.app.mail.enqueue(undefined, { to: 'a@example.com', subject: '主题\r\nBcc: x@evil.test', text: 't' })
    expect((await ctx.db.knex('mail_outbox').first()).subject).toBe('主题 Bcc: x@evil.test')
  })
})
