import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { antiAbuseFor } from '../../src/features/antiabuse'
import { createGroupWithBoard } from './factories'

// The forum, anti-abuse and moderation services are built once and decorated on the app.
describe.each(dialects)('the forum feature plugin on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  it('decorates one instance of each service; the anti-abuse one is the one the CLI factory gives for the handle', () => {
    expect(ctx.t.app.hasDecorator('forum')).toBe(true)
    expect(ctx.t.app.hasDecorator('moderation')).toBe(true)
    expect(ctx.t.app.hasDecorator('banHooks')).toBe(true)
    expect(ctx.t.app.antiAbuse).toBe(antiAbuseFor(ctx.t.app.db))
    expect(ctx.t.app.banHooks.names()).toContain('forum')
    expect(typeof ctx.t.app.moderation.audit.record).toBe('function')
  })

  it('reads the board list fresh unless a read allows an older one (the Archiver: boardsMaxAgeMs)', async () => {
    const now = ctx.t.clock.now()
    await createGroupWithBoard(ctx.db.knex, { boardName: '第一版' })
    const cached = await ctx.t.app.forum.index(null, now, { boardsMaxAgeMs: 60_000 })
    expect(JSON.stringify(cached.groups)).toContain('第一版')
    await createGroupWithBoard(ctx.db.knex, { boardName: '第二版' })
    expect(JSON.stringify((await ctx.t.app.forum.index(null, now, { boardsMaxAgeMs: 60_000 })).groups)).not.toContain('第二版')
    expect(JSON.stringify((await ctx.t.app.forum.index(null, now)).groups)).toContain('第二版')
    expect(JSON.stringify((await ctx.t.app.forum.index(null, now + 61, { boardsMaxAgeMs: 60_000 })).groups)).toContain('第二版')
  })
})
