import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { HttpError } from '../../src/lib/http-errors'
import { ERROR_RING_CAPACITY } from '../../src/plugins/error-ring'

describe.each(dialects)('站点状态\'s last errors on %s', (dialect) => {
  const ctx = useTestApp(dialect, {
    app: {
      routes: (app) => {
        app.get('/test/boom', async () => { throw new Error('数据库里的 <script>炸了</script>') })
        app.get('/test/refused', async () => { throw new HttpError(403, '不行') })
      }
    }
  })

  it('shows a route that throws on the dashboard (time, request id, method, URL, message; no stack), newest first; 4xx are not errors', async () => {
    const admin = await createUser(ctx.db.knex, { role: 'admin' })
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    expect((await agent.get('/admin').expect(200)).text).toContain('暂无错误')
    const failed = await ctx.t.agent().get('/test/boom?x=1').expect(500)
    const requestId = /请求编号：?\s*(?:<[^>]+>)?\s*([a-z0-9]{4,})/.exec(failed.text)?.[1]
    await ctx.t.agent().get('/test/refused').expect(403)
    ctx.t.clock.advance(60)
    await ctx.t.agent().get('/test/boom?x=2').expect(500)
    const res = await agent.get('/admin').expect(200)
    expect(res.text).toContain('最近的错误')
    expect(res.text).not.toContain('暂无错误')
    const rows = [...res.text.matchAll(/<tr><td class="xg1">([^<]+)<\/td><td><code>([a-z0-9]+)<\/code><\/td><td class="admin-break">([^<]+)<\/td><td class="admin-break">([^<]+)<\/td><\/tr>/g)]
    expect(rows.map((r) => r[3])).toEqual(['GET /test/boom?x=2', 'GET /test/boom?x=1'])
    expect(rows[1]?.[2]).toBe(requestId)
    expect(rows[0]?.[4]).toBe('数据库里的 &lt;script&gt;炸了&lt;/script&gt;')
    expect(rows[0]?.[1]).toMatch(/^\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}/)
    expect(res.text).not.toMatch(/at .*\.ts:\d+/) // no stack frames
    expect(res.text).not.toContain('/test/refused')
  })

  it('keeps only the last 50', async () => {
    for (let i = 0; i < ERROR_RING_CAPACITY + 5; i++) ctx.t.app.errorRing.record({ at: 0, requestId: `r${i}`, method: 'GET', url: `/x/${i}`, message: 'm' })
    const list = ctx.t.app.errorRing.list()
    expect(list).toHaveLength(ERROR_RING_CAPACITY)
    expect(list[0]?.url).toBe(`/x/${ERROR_RING_CAPACITY + 4}`)
    expect(list[ERROR_RING_CAPACITY - 1]?.url).toBe('/x/5')
  })
})
