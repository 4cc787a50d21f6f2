import type supertest from 'supertest'
import type { ParsedMail } from 'mailparser'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { LOCAL_CLIENTS_UNLIMITED, csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'
import { startTestSmtp, recipient, type TestSmtp } from '../helpers/smtp'
import { createGroupWithBoard } from '../forum/factories'
import { postReply, postThread } from '../forum/helpers'

/** The hourly 提醒 e-mail digest (src/features/notification-digest), read back through a real SMTP server. */
describe.each(dialects)('提醒 e-mail digest on %s', (dialect) => {
  let smtp: TestSmtp
  // Before useTestApp's own beforeAll: the apps are built with the server's address.
  beforeAll(async () => { smtp = await startTestSmtp() })
  afterAll(async () => { await smtp.close() })
  const ctx = useTestApp(dialect, { second: true, app: () => ({ env: { ...LOCAL_CLIENTS_UNLIMITED, SMTP_URL: smtp.url, SITE_URL: 'https://bbs.example.com' } }) })
  let boardId: number

  beforeAll(async () => {
    boardId = (await createGroupWithBoard(ctx.db.knex)).boardId
  })

  const member = async (): Promise<{ user: CreatedUser, agent: supertest.Agent, email: string }> => {
    const user = await createUser(ctx.db.knex)
    return { user, agent: await login(ctx.t.agent(), user.username, user.password), email: `${user.username.toLowerCase()}@example.com` }
  }
  const setPrefs = async (agent: supertest.Agent, prefs: Record<string, string>): Promise<void> => {
    const form = await agent.get('/notifications/settings').expect(200)
    await agent.post('/notifications/settings').type('form').send({ _csrf: csrfFrom(form.text), ...prefs }).expect(303)
  }
  /** Runs the digest pass, then lets the outbox send everything due; returns the mails that reached `address`. */
  const digestsTo = async (address: string): Promise<ParsedMail[]> => {
    await ctx.t.app.notificationDigest.sendDue()
    await ctx.t.app.mail.deliverDue()
    return smtp.received.filter((m) => recipient(m) === address)
  }
  const outboxTo = async (address: string): Promise<number> =>
    Number((await ctx.db.knex('mail_outbox').where({ to_address: address }).count<Array<{ n: number }>>({ n: '*' }))[0]?.n)

  it('mails the unread notices of e-mail kinds only, grouped, with working links; nothing again within the hour', async () => {
    const a = await member()
    const b = await member()
    const c = await member()
    await setPrefs(a.agent, { reply: 'email', mention: 'site' })
    const threadId = await postThread(ctx.t, a.agent, boardId, '邮件摘要测试主题')
    // A reply A has already seen (read): not in the digest.
    await postReply(ctx.t, b.agent, threadId, '第一条回复，楼主已读')
    await a.agent.get('/notifications').expect(200)
    await postReply(ctx.t, b.agent, threadId, '第二条回复')
    await postReply(ctx.t, c.agent, threadId, '第三条回复')
    // A mention is a site-only kind for A: on the site, not in the mail.
    await postThread(ctx.t, b.agent, boardId, '只在站内提醒的主题', `@${a.user.username} 来看看`)
    expect(await ctx.db.knex('notifications').where({ user_id: a.user.id, kind: 'mention' }).count<Array<{ n: number }>>({ n: '*' })).toEqual([{ n: 1 }])

    const mails = await digestsTo(a.email)
    expect(mails).toHaveLength(1)
    const mail = mails[0]!
    expect(mail.subject).toMatch(/您有 2 条新提醒/)
    const text = mail.text ?? ''
    expect(text).toContain(`【邮件摘要测试主题】 https://bbs.example.com/thread/${threadId}`)
    expect(text).toContain(`${b.user.username} 回复了您的主题`)
    expect(text).toContain(`${c.user.username} 回复了您的主题`)
    expect(text.match(/回复了您的主题/g)).toHaveLength(2)
    expect(text).not.toContain('只在站内提醒的主题')
    expect(text).toContain('https://bbs.example.com/notifications/settings')
    // The links are the site's pages.
    const threadLink = /https:\/\/bbs\.example\.com(\/thread\/\d+[^\s]*)/.exec(text)?.[1] ?? ''
    await ctx.t.agent().get(threadLink).expect(200)
    await a.agent.get('/notifications/settings').expect(200)

    // A new notice within the hour waits; after the hour it comes alone (the mailed ones are not repeated).
    const d = await member()
    await postReply(ctx.t, d.agent, threadId, '一小时内的新回复')
    expect(await digestsTo(a.email)).toHaveLength(1)
    ctx.t.clock.advance(3600)
    const after = await digestsTo(a.email)
    expect(after).toHaveLength(2)
    expect(after[1]?.subject).toMatch(/您有 1 条新提醒/)
    expect(after[1]?.text).toContain(`${d.user.username} 回复了您的主题`)
    expect(after[1]?.text).not.toContain(`${b.user.username} 回复了您的主题`)
    // Nothing new after another hour: no mail.
    ctx.t.clock.advance(3600)
    expect(await digestsTo(a.email)).toHaveLength(2)
    expect(await outboxTo(a.email)).toBe(2)
  })

  it('sends nothing for site-only kinds or notices read before the digest', async () => {
    const a = await member()
    const b = await member()
    await setPrefs(a.agent, { reply: 'site' })
    const threadId = await postThread(ctx.t, a.agent, boardId, '只要站内提醒')
    await postReply(ctx.t, b.agent, threadId, '站内回复')
    const r = await member()
    await setPrefs(r.agent, { reply: 'email' })
    const other = await postThread(ctx.t, r.agent, boardId, '读过了就不发邮件')
    await postReply(ctx.t, b.agent, other, '已读的回复')
    await r.agent.get('/notifications').expect(200)
    ctx.t.clock.advance(3600)
    expect(await digestsTo(a.email)).toHaveLength(0)
    expect(await digestsTo(r.email)).toHaveLength(0)
    expect(await outboxTo(a.email)).toBe(0)
    expect(await outboxTo(r.email)).toBe(0)
  })

  it('two app instances passing at once send a member one digest', async () => {
    const a = await member()
    const b = await member()
    await setPrefs(a.agent, { reply: 'email' })
    const threadId = await postThread(ctx.t, a.agent, boardId, '两个进程')
    await postReply(ctx.t, b.agent, threadId, '回复一')
    await postReply(ctx.t, b.agent, threadId, '回复二')
    ctx.t.clock.advance(3600)
    // On SQLite both apps share this one Node process, and better-sqlite3 waits out busy_timeout synchronously:
    // the second BEGIN IMMEDIATE gives up after 5 s (SQLITE_BUSY, that member skipped and logged). Separate
    // processes just wait their turn; MariaDB shows the real race (the claim's row lock).
    await Promise.all([ctx.t.app.notificationDigest.sendDue(), ctx.t2.app.notificationDigest.sendDue()])
    expect(await outboxTo(a.email)).toBe(1)
    // Either process's sender may have claimed the mail (each kicks after its commit): wait for both.
    await Promise.all([ctx.t.app.mail.deliverDue(), ctx.t2.app.mail.deliverDue()])
    const mails = smtp.received.filter((m) => recipient(m) === a.email)
    expect(mails).toHaveLength(1)
    expect(mails[0]?.subject).toMatch(/您有 2 条新提醒/)
  })

  it('no address, or an unconfirmed one while verification is required: no digest', async () => {
    const noAddress = await member()
    const unverified = await member()
    const b = await member()
    await setPrefs(noAddress.agent, { reply: 'email' })
    await setPrefs(unverified.agent, { reply: 'email' })
    const t1 = await postThread(ctx.t, noAddress.agent, boardId, '没有邮箱')
    const t2 = await postThread(ctx.t, unverified.agent, boardId, '邮箱未验证')
    await postReply(ctx.t, b.agent, t1, '回复')
    await postReply(ctx.t, b.agent, t2, '回复')
    await ctx.db.knex('users').where({ id: noAddress.user.id }).update({ email: '', email_key: '' })
    await ctx.db.knex('users').where({ id: unverified.user.id }).update({ email_verified_at: null })
    await ctx.t.app.settings.set('email_verification_required', '1')
    try {
      ctx.t.clock.advance(3600)
      const before = smtp.received.length
      await ctx.t.app.notificationDigest.sendDue()
      await ctx.t.app.mail.deliverDue()
      expect(smtp.received.slice(before).map(recipient)).not.toContain(unverified.email)
      expect(await outboxTo(unverified.email)).toBe(0)
      expect(await outboxTo('')).toBe(0)
      // Their notices were not marked mailed: once the address is confirmed, the digest comes.
      await ctx.db.knex('users').where({ id: unverified.user.id }).update({ email_verified_at: ctx.t.clock.now() })
      expect(await digestsTo(unverified.email)).toHaveLength(1)
    } finally {
      await ctx.t.app.settings.set('email_verification_required', '0')
    }
  })
})
