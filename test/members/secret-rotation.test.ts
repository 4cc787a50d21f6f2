import supertest from 'supertest'
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'
import { buildTestApp, csrfFrom, type TestApp } from '../helpers/app'
import { createUser } from '../helpers/factories'

/**
 * SESSION_SECRET rotation (README, "Secrets"): an app started with a new secret and the old one in
 * SESSION_SECRET_PREVIOUS still accepts the cookies signed with the old one, so members stay logged in;
 * without SESSION_SECRET_PREVIOUS they are logged out, not let in by a cookie it cannot verify.
 */
const OLD = 'old-secret-0123456789-0123456789-abcdef'
const NEW = 'new-secret-9876543210-9876543210-fedcba'

describe.each(dialects)('session secret rotation on %s', (dialect) => {
  let db: TestDatabase
  const apps: TestApp[] = []
  beforeAll(async () => { db = await createTestDatabase(dialect) })
  afterAll(async () => {
    for (const a of apps) await a.close()
    await db.destroy()
  })

  async function appWith (env: Record<string, string>): Promise<TestApp> {
    const t = await buildTestApp(db, { env })
    apps.push(t)
    return t
  }

  /** Logs in through the form of the app signed with OLD; returns the browser's cookie header. */
  async function loggedInCookies (t: TestApp, username: string): Promise<string> {
    const form = await supertest(t.app.server).get('/login').expect(200)
    const csrfCookies = (form.headers['set-cookie'] as unknown as string[] | undefined ?? []).map((c) => c.split(';')[0]).join('; ')
    const res = await supertest(t.app.server).post('/login').set('Cookie', csrfCookies).type('form')
      .send({ _csrf: csrfFrom(form.text), login: username, password: 'password123' })
    expect(res.status).toBe(303)
    const session = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ')
    expect(session).toMatch(/=/)
    return session
  }

  it('keeps members logged in across a rotation with SESSION_SECRET_PREVIOUS, and only then', async () => {
    const member = await createUser(db.knex, { username: `rot${dialect}` })
    const before = await appWith({ SESSION_SECRET: OLD })
    const cookies = await loggedInCookies(before, member.username)
    expect((await supertest(before.app.server).get('/').set('Cookie', cookies).expect(200)).text).toContain(`>${member.username}</a>`)

    const rotated = await appWith({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD })
    const page = await supertest(rotated.app.server).get('/').set('Cookie', cookies).expect(200)
    expect(page.text).toContain(`>${member.username}</a>`)

    const forgotten = await appWith({ SESSION_SECRET: NEW })
    const guestPage = await supertest(forgotten.app.server).get('/').set('Cookie', cookies).expect(200)
    expect(guestPage.text).not.toContain(`>${member.username}</a>`)
    expect(guestPage.text).toContain('name="login"')
  })

  it('refuses a SESSION_SECRET_PREVIOUS entry shorter than 32 characters at start', async () => {
    await expect(appWith({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: 'short' })).rejects.toThrow('SESSION_SECRET_PREVIOUS')
  })
})
