import { dialects, createTestDatabase, type TestDatabase } from '../helpers/database'
import { buildTestApp, type TestApp } from '../helpers/app'
import { antiAbuseFor } from '../../src/features/antiabuse'
import { createGroupWithBoard } from './factories'

// The forum, anti-abuse and moderation services are built once and decorated on the app.
describe.each(dialects)('the forum feature plugin on %s', (dialect) => {
  let db: TestDatabase
  let t: TestApp

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    t = await buildTestApp(db)
  })
  afterAll(async () => {
    await t?.close()
    await db?.destroy()
  })

  it('decorates one instance of each service; the anti-abuse one is the one the CLI factory gives for the handle', () => {
    expect(t.app.hasDecorator('forum')).toBe(true)
    expect(t.app.hasDecorator('moderation')).toBe(true)
    expect(t.app.hasDecorator('banHooks')).toBe(true)
    expect(t.app.antiAbuse).toBe(antiAbuseFor(t.app.db))
    expect(t.app.banHooks.names()).toContain('forum')
    expect(typeof t.app.moderation.audit.record).toBe('function')
  })

  it('reads the board list fresh unless a read allows an older one (the Archiver: boardsMaxAgeMs)', async () => {
    const now = t.clock.now()
    await createGroupWithBoard(db.knex, { boardName: '第一版' })
    const cached = await t.app.forum.index(null, now, { boardsMaxAgeMs: 60_000 })
    expect(JSON.stringify(cached.groups)).toContain('第一版')
    await createGroupWithBoard(db.knex, { boardName: '第二版' })
    expect(JSON.stringify((await t.app.forum.index(null, now, { boardsMaxAgeMs: 60_000 })).groups)).not.toContain('第二版')
    expect(JSON.stringify((await t.app.forum.index(null, now)).groups)).toContain('第二版')
    expect(JSON.stringify((await t.app.forum.index(null, now + 61, { boardsMaxAgeMs: 60_000 })).groups)).toContain('第二版')
  })
})
