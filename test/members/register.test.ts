import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { createUser } from '../helpers/factories'
import { membersService } from '../../src/features/members/service'
import { FormError } from '../../src/features/members/service'
import { usernameLength, validateUsername, validationMessages as vm } from '../../src/features/members/validation'
import { memberCommands } from '../../src/features/members/cli'
import { postRegister, type RegisterFields } from './_helpers'

describe('username rules (pure)', () => {
  it('counts a CJK character as two', () => {
    expect(usernameLength('abc')).toBe(3)
    expect(usernameLength('张三')).toBe(4)
    expect(usernameLength('张三丰abc')).toBe(9)
    expect(validateUsername('张')).toBe(vm.usernameLength) // 2
    expect(validateUsername('张a')).toBeNull() // 3
    expect(validateUsername('一二三四五六七')).toBeNull() // 14
    expect(validateUsername('一二三四五六七八')).toBe(vm.usernameLength) // 16
    expect(validateUsername('一二三四五六七a')).toBeNull() // 15
  })
})

describe.each(dialects)('registration on %s', (dialect) => {
  // A fresh app per test: the per-IP rate limit of /register starts from zero each time.
  const ctx = useTestApp(dialect, { perTest: true })

  const countUsers = async (): Promise<number> => await countRows(ctx.db.knex, 'users')

  it('shows the form with all fields and a CSRF token', async () => {
    const res = await ctx.t.agent().get('/register').expect(200)
    for (const name of ['username', 'password', 'password2', 'email', '_csrf']) expect(res.text).toContain(`name="${name}"`)
  })

  const cases: Array<[string, RegisterFields, string, string]> = [
    ['too short', { username: 'ab' }, 'username', vm.usernameLength],
    ['too long', { username: 'abcdefghijklmnop' }, 'username', vm.usernameLength],
    ['CJK too long (8 × 2 = 16)', { username: '一二三四五六七八' }, 'username', vm.usernameLength],
    ['a space', { username: 'ab cd' }, 'username', vm.usernameChars],
    ['a full-width space', { username: 'ab\u3000cd' }, 'username', vm.usernameChars],
    ...['%', ',', '*', '"', '<', '>', '&', '(', ')', '\'', '@'].map((c): [string, RegisterFields, string, string] => [`the character ${c}`, { username: `ab${c}cd` }, 'username', vm.usernameChars]),
    ['游客 inside', { username: 'a游客b' }, 'username', vm.usernameReserved],
    ['Guest prefix', { username: 'GuestAbc' }, 'username', vm.usernameReserved],
    ['guest prefix in another case', { username: 'gUEST_1' }, 'username', vm.usernameReserved],
    ['a short password', { password: 'short7!' }, 'password', vm.passwordShort],
    ['passwords that differ', { password: 'secret-pass-1', password2: 'secret-pass-2' }, 'password2', vm.passwordMismatch],
    ['an invalid e-mail', { email: 'not-an-email' }, 'email', vm.emailInvalid],
    ['an e-mail without a domain dot', { email: 'a@b' }, 'email', vm.emailInvalid],
    ['an empty e-mail', { email: '' }, 'email', vm.emailEmpty]
  ]
  it.each(cases)('refuses %s with a message beside the field, keeping what was typed', async (_label, fields, field, message) => {
    const before = await countUsers()
    const res = await postRegister(ctx.t.agent(), fields)
    expect(res.status).toBe(400)
    expect(res.text).toContain(`id="${field}-error">${escape(message)}<`)
    expect(await countUsers()).toBe(before)
    // Never echo a password back.
    expect(res.text).not.toContain('secret-pass-1')
    if (fields.username !== undefined) expect(res.text).toContain(`value="${escape(fields.username)}"`)
  })

  it('registers, logs in on a new session id and redirects with 303', async () => {
    const agent = ctx.t.agent()
    const page = await agent.get('/register')
    const guestCookie = /luntan_sid=([^;]+)/.exec(String(page.headers['set-cookie']))?.[1]
    const res = await postRegister(agent, { username: '张三丰ab', email: 'zsf@example.com', return: '/user/1' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/user/1')
    const newCookie = /luntan_sid=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1]
    expect(newCookie).toBeDefined()
    expect(newCookie).not.toBe(guestCookie)
    const row = await ctx.db.knex('users').where({ username_key: '张三丰ab' }).first()
    expect(row.email).toBe('zsf@example.com')
    expect(row.role).toBe('member')
    expect(String(row.password_hash)).toMatch(/^\$2[aby]\$04\$/) // cost from config (BCRYPT_COST=4 in tests)
    const settings = await agent.get('/settings').expect(200)
    expect(settings.text).toContain('张三丰ab')
  })

  it('refuses a name differing only in case, and a taken e-mail', async () => {
    await createUser(ctx.db.knex, { username: 'CaseName', email: 'case@example.com' })
    const r1 = await postRegister(ctx.t.agent(), { username: 'casename' })
    expect(r1.status).toBe(400)
    expect(r1.text).toContain(vm.usernameTaken)
    const r2 = await postRegister(ctx.t.agent(), { email: 'CASE@example.com' })
    expect(r2.status).toBe(400)
    expect(r2.text).toContain(vm.emailTaken)
  })

  it('turns a duplicate that slips past the check (race) into a form error, not a 500', async () => {
    const service = membersService({ db: ctx.db.knex, clock: ctx.t.clock, bcryptCost: 4 })
    const input = { username: 'RaceName', password: 'secret-pass-1', password2: 'secret-pass-1', email: 'race@example.com' }
    // Both checks run before either insert (bcrypt yields in between): the second insert hits the unique index.
    // Distinct e-mails, so the name is the one duplicate (with one e-mail for both, the form error may
    // rightly name the e-mail instead, whichever unique index MariaDB checks first).
    const results = await Promise.allSettled([service.register(input), service.register({ ...input, username: 'racename', email: 'race2@example.com' })])
    const rejected = results.filter((r) => r.status === 'rejected')
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(rejected).toHaveLength(1)
    const reason = (rejected[0] as PromiseRejectedResult).reason as unknown
    expect(reason).toBeInstanceOf(FormError)
    expect((reason as FormError).fields.username).toBe(vm.usernameTaken)
  })

  it('answers an oversized field with a Chinese 400 page (JSON schema)', async () => {
    const agent = ctx.t.agent()
    const page = await agent.get('/register')
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    const before = await countUsers()
    const res = await agent.post('/register').type('form').send({ _csrf: token, username: 'x'.repeat(500), password: 'a', password2: 'a', email: 'a@b.c' })
    expect(res.status).toBe(400)
    // The route's TypeBox schema refused it; the error page names the field (src/lib/validation-message.ts).
    expect(res.text).toContain('表单中的“用户名”过长（最多 100 个字符）')
    expect(await countUsers()).toBe(before)
  })

  it('CLI user:create validates like the form, user:role changes the role', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    const err = jest.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const cliRun = (flags: Record<string, string>) => ({ knex: ctx.db.knex, config: ctx.t.config, flags })
      const create = memberCommands['user:create']!
      const role = memberCommands['user:role']!
      expect(await create.run(cliRun({ username: 'Guest1', password: 'secret-pass-1' }))).toBe(1)
      expect(await create.run(cliRun({ username: 'cliuser', password: 'short' }))).toBe(1)
      expect(await create.run(cliRun({ username: 'cliuser', password: 'secret-pass-1', role: 'king' }))).toBe(2)
      expect(await create.run(cliRun({ username: 'cliuser', password: 'secret-pass-1', role: 'moderator' }))).toBe(0)
      expect(await create.run(cliRun({ username: 'CLIUSER', password: 'secret-pass-1' }))).toBe(1)
      expect(await role.run(cliRun({ username: 'CliUser', role: 'admin' }))).toBe(0)
      expect((await ctx.db.knex('users').where({ username_key: 'cliuser' }).first()).role).toBe('admin')
      expect(await role.run(cliRun({ username: 'nobody', role: 'admin' }))).toBe(1)
      expect(await role.run(cliRun({ username: 'cliuser', role: 'god' }))).toBe(2)
    } finally {
      log.mockRestore()
      err.mockRestore()
    }
  })
})

function escape (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}
