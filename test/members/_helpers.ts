import type supertest from 'supertest'
import { csrfFrom } from '../helpers/app'

export interface RegisterFields { username?: string, password?: string, password2?: string, email?: string, return?: string }

let n = 0
/** Fills in valid values for whatever the test does not set. */
export function registration (fields: RegisterFields = {}): Required<Omit<RegisterFields, 'return'>> & { return?: string } {
  n++
  const password = fields.password ?? 'secret-pass-1'
  return {
    username: fields.username ?? `new${n}_${process.pid % 1000}`,
    password,
    password2: fields.password2 ?? password,
    email: fields.email ?? `new${n}_${process.pid % 1000}@example.com`,
    ...(fields.return !== undefined ? { return: fields.return } : {})
  }
}

export async function postRegister (agent: supertest.Agent, fields: RegisterFields = {}): Promise<supertest.Response> {
  const page = await agent.get('/register').expect(200)
  // The captcha's no-JavaScript answer (the default question's, src/plugins/settings.ts): test/captcha/ solves the widget's.
  return await agent.post('/register').type('form').send({ _csrf: csrfFrom(page.text), captcha_answer: 'luntan', ...registration(fields) })
}

/** The session cookie ("luntan_sid=...") a response set, for handing to another app instance. */
export function sessionCookie (res: supertest.Response): string {
  const raw = res.headers['set-cookie'] as unknown
  const list = Array.isArray(raw) ? raw as string[] : typeof raw === 'string' ? [raw] : []
  const c = list.find((s) => s.startsWith('luntan_sid='))
  if (c === undefined) throw new Error('no session cookie set')
  return c.split(';')[0] ?? ''
}

/** Any cookie ("name=value") a response set. */
export function namedCookie (res: supertest.Response, name: string): string {
  const raw = res.headers['set-cookie'] as unknown
  const list = Array.isArray(raw) ? raw as string[] : typeof raw === 'string' ? [raw] : []
  const c = list.find((s) => s.startsWith(`${name}=`))
  if (c === undefined) throw new Error(`no ${name} cookie set`)
  return c.split(';')[0] ?? ''
}

/**
 * A `useTestApp` seed turning off the captcha after failed logins (站点设置 captcha_login_failures = 0), for
 * tests of the lockout itself, which count failures past the captcha's threshold.
 */
export async function withoutLoginCaptcha (db: { knex: import('knex').Knex }): Promise<void> {
  await db.knex('settings').insert({ key: 'captcha_login_failures', value: '0' }).onConflict('key').merge()
}
