import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser, type CreatedUser, banUser } from '../helpers/factories'
import { antiAbuseService, type AntiAbuse, type ContributionVerdict } from '../../src/features/antiabuse/service'
import { HttpError } from '../../src/lib/http-errors'
import { usersRepository } from '../../src/features/members/repository'
import type { AuthUser } from '../../src/lib/permissions'

describe.each(dialects)('anti-abuse on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false })
  let service: AntiAbuse
  let now: number

  beforeAll(async () => {
    service = antiAbuseService(ctx.db.knex)
    now = Math.floor(Date.now() / 1000)
  })

  const authUser = async (id: number): Promise<AuthUser> => {
    const u = await usersRepository(ctx.db.knex).findAuthUser(id)
    if (u === null) throw new Error('no user')
    return u
  }

  /** Runs checkContribution in its own transaction; commits unless `rollback`. */
  async function check (user: AuthUser | null, text: string, at: number, rollback = false): Promise<ContributionVerdict> {
    let verdict: ContributionVerdict | undefined
    await ctx.db.knex.transaction(async (trx) => {
      verdict = await service.checkContribution({ user, text, now: at, trx })
      if (rollback) throw new Error('rollback')
    }).catch((err: unknown) => {
      if (!(err instanceof Error && err.message === 'rollback')) throw err
    })
    if (verdict === undefined) throw new Error('no verdict')
    return verdict
  }

  async function refusal (user: AuthUser | null, text: string, at: number): Promise<HttpError> {
    try {
      await check(user, text, at)
    } catch (err) {
      if (err instanceof HttpError) return err
      throw err
    }
    throw new Error('expected a refusal')
  }

  it('allows one post per 15 seconds and gives the slot back when the caller rolls back', async () => {
    const member = await authUser((await createUser(ctx.db.knex, { createdAt: now - 30 * 86400 })).id)
    await check(member, '第一条内容', now, true) // rolled back: the slot is still free
    expect((await check(member, '第一条内容', now)).status).toBe('visible')
    const err = await refusal(member, '第二条内容', now + 14)
    expect(err.statusCode).toBe(429)
    expect(err.message).toBe('您两次发表间隔少于 15 秒，请 1 秒后再发表')
    expect((await refusal(member, '第二条内容', now + 7)).message).toBe('您两次发表间隔少于 15 秒，请 8 秒后再发表')
    expect((await check(member, '第二条内容', now + 15)).status).toBe('visible')
  })

  it('lets exactly one of two simultaneous posts through', async () => {
    const member = await authUser((await createUser(ctx.db.knex, { createdAt: now - 30 * 86400 })).id)
    const attempt = async (): Promise<string> => {
      try {
        await ctx.db.knex.transaction(async (trx) => {
          await service.checkContribution({ user: member, text: '同时发表', now, trx })
          // Hold the transaction a moment, as a real insert would.
          await trx('users').where('id', member.id).first('id')
        })
        return 'ok'
      } catch (err) {
        if (err instanceof HttpError) return String(err.statusCode)
        throw err
      }
    }
    const results = await Promise.all([attempt(), attempt(), attempt()])
    expect(results.filter((r) => r === 'ok')).toHaveLength(1)
    expect(results.filter((r) => r === '429')).toHaveLength(2)
  })

  it('applies the new-member rules: silent for 2 minutes, 30 seconds during the first day', async () => {
    const created = now - 60
    const member = await authUser((await createUser(ctx.db.knex, { createdAt: created })).id)
    const silent = await refusal(member, '新人报到', created + 119)
    expect(silent.statusCode).toBe(403)
    expect(silent.message).toBe('新注册用户需等待 1 秒后才能发表')
    expect((await refusal(member, '新人报到', created + 60)).message).toBe('新注册用户需等待 60 秒后才能发表')
    expect((await check(member, '新人报到', created + 120)).status).toBe('visible')
    expect((await refusal(member, '新人报到二', created + 149)).message).toBe('您两次发表间隔少于 30 秒，请 1 秒后再发表')
    expect((await check(member, '新人报到二', created + 150)).status).toBe('visible')
    const newAdmin = await authUser((await createUser(ctx.db.knex, { role: 'admin', createdAt: created })).id)
    expect((await check(newAdmin, '管理员不受新人限制', created + 1)).status).toBe('visible')
    // After the first day the interval is 15 seconds.
    const nextDay = created + 86400 + 10
    await check(member, '第二天', nextDay)
    expect((await check(member, '第二天再发', nextDay + 15)).status).toBe('visible')
  })

  it('sends the first 3 contributions with a link of a new member to review', async () => {
    const member = await authUser((await createUser(ctx.db.knex, { createdAt: now - 30 * 86400 })).id)
    let at = now
    expect((await check(member, '看看 http://example.com/x', at)).status).toBe('pending')
    expect((await check(member, '没有链接', at += 15)).status).toBe('visible')
    expect((await check(member, 'ｗｗｗ．example．com', at += 15)).status).toBe('pending')
    // The fourth contribution is past the rule.
    const fourth = await check(member, '看看 https://example.com/y', at += 15)
    expect(fourth).toEqual({ status: 'visible', text: '看看 https://example.com/y', reasons: [] })
    const moderator = await authUser((await createUser(ctx.db.knex, { role: 'moderator' })).id)
    expect((await check(moderator, 'http://example.com', now)).status).toBe('visible')
  })

  it('refuses banned members, post or visit, until the ban expires', async () => {
    const u = await createUser(ctx.db.knex)
    await banUser(ctx.db.knex, u.id, { type: 'post', until: now + 3600, reason: '灌水' })
    const banned = await authUser(u.id)
    const err = await refusal(banned, '我还能说话吗', now)
    expect(err.statusCode).toBe(403)
    expect(err.message).toBe('抱歉，您已被禁止发言')
    expect((await check(banned, '我还能说话吗', now + 3600)).status).toBe('visible')
    await banUser(ctx.db.knex, u.id, { type: 'visit', until: null })
    expect((await refusal(await authUser(u.id), '永久禁止', now + 999999)).message).toBe('抱歉，您已被禁止发言')
  })

  it('applies each word action, with full-width and spaced variants, and sends guests to review', async () => {
    await service.words.add({ word: '违禁品', action: 'block', by: null, now })
    await service.words.add({ word: '代开发票', action: 'moderate', by: null, now })
    await service.words.add({ word: '笨蛋', action: 'replace', by: null, now })
    await service.words.add({ word: 'Idiot', action: 'replace', replacement: '[哔]', by: null, now })
    let at = now + 100000
    const member = await authUser((await createUser(ctx.db.knex)).id)
    for (const text of ['出售违禁品', '出售违 禁 品', '出售违，禁，品']) {
      const err = await refusal(member, text, at += 15)
      expect(err.statusCode).toBe(400)
      expect(err.message).toBe('您的评论包含不允许的词语')
    }
    expect((await check(member, '代开 发票 联系我', at += 15)).status).toBe('pending')
    expect(await check(member, '你这个笨 蛋，ＩＤＩＯＴ！', at += 15)).toEqual({ status: 'visible', text: '你这个**，[哔]！', reasons: [] })
    // A refused post did not take the slot: the member can post again at once.
    await refusal(member, '违禁品', at += 15)
    expect((await check(member, '正常内容', at)).status).toBe('visible')
    expect(await check(null, '游客说笨蛋', at)).toEqual({ status: 'pending', text: '游客说**', reasons: ['guest'] })
  })

  it('rejects bad words input, updates an existing word and sees another instance\'s change after the TTL', async () => {
    await expect(service.words.add({ word: '  ', action: 'block', by: null, now })).rejects.toThrow('请输入要屏蔽的词语')
    await expect(service.words.add({ word: '词', action: 'ban', by: null, now })).rejects.toThrow('请选择处理方式')
    let fakeMs = 0
    const other = antiAbuseService(ctx.db.knex, { wordCacheTtlMs: 1000, nowMs: () => fakeMs })
    expect((await other.scanWords('卖萌')).text).toBe('卖萌')
    await service.words.add({ word: '卖萌', action: 'replace', replacement: '##', by: null, now })
    expect((await service.scanWords('卖萌')).text).toBe('##')
    expect((await other.scanWords('卖萌')).text).toBe('卖萌') // cached
    fakeMs += 1001
    expect((await other.scanWords('卖萌')).text).toBe('##')
    // Changing the action of an existing word (same count, same max id) is seen too.
    await service.words.add({ word: '卖 萌', action: 'block', by: null, now })
    fakeMs += 1001
    expect((await other.scanWords('卖萌')).blocked).toEqual(['卖 萌'])
    const { words } = await service.words.page(1)
    const id = words.find((w) => w.word === '卖 萌')?.id ?? 0
    await service.words.remove(id)
    fakeMs += 1001
    expect((await other.scanWords('卖萌')).blocked).toEqual([])
    await expect(service.words.remove(id)).rejects.toThrow('该屏蔽词不存在')
  })
})

describe.each(dialects)('word filter admin page on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let admin: CreatedUser
  let moderator: CreatedUser

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    moderator = await createUser(ctx.db.knex, { role: 'moderator' })
  })

  it('is for admins only', async () => {
    await ctx.t.agent().get('/admin/words').expect(401)
    const mod = await login(ctx.t.agent(), moderator.username, moderator.password)
    await mod.get('/admin/words').expect(403)
  })

  it('lists, adds and deletes words with CSRF; bad input is a 400 with the form kept', async () => {
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const page = await agent.get('/admin/words').expect(200)
    expect(page.text).toContain('暂无屏蔽词')
    await agent.post('/admin/words').type('form').send({ word: '坏词', action: 'block' }).expect(403)
    expect(await ctx.db.knex('word_filters').count('* as n').first()).toEqual({ n: 0 })
    await agent.post('/admin/words').type('form').send({ _csrf: csrfFrom(page.text), word: '坏词', action: 'replace', replacement: '' }).expect(303)
    const bad = await agent.post('/admin/words').type('form').send({ _csrf: csrfFrom(page.text), word: '<b>词</b>', action: 'nope' }).expect(400)
    expect(bad.text).toContain('请选择处理方式')
    expect(bad.text).toContain('value="&lt;b&gt;词&lt;/b&gt;"')
    const list = await agent.get('/admin/words').expect(200)
    expect(list.text).toContain('坏词')
    expect(list.text).toContain('替换')
    const row = await ctx.db.knex('word_filters').first('id', 'replacement')
    expect(row.replacement).toBe('**')
    await agent.post(`/admin/words/${String(row.id)}/delete`).type('form').send({ _csrf: csrfFrom(list.text) }).expect(303)
    expect((await agent.get('/admin/words')).text).toContain('暂无屏蔽词')
  })
})
