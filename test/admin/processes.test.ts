import os from 'node:os'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { ERRORS_PER_PROCESS, LIVE_SECONDS } from '../../src/features/site-admin/heartbeat'

/** The dashboard's process rows: [id, whole row HTML]. */
function processRows (html: string): Array<{ id: string, html: string }> {
  return [...html.matchAll(/<tr class="process-row" data-process="([0-9a-f]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ id: m[1] ?? '', html: m[2] ?? '' }))
}

describe.each(dialects)('站点状态 → 进程: every live app process on %s', (dialect) => {
  // Two app instances on one database, as WORKERS=2 runs them; a route that fails, to give one of them errors.
  const ctx = useTestApp(dialect, {
    second: true,
    app: { routes: (app) => { app.get('/test/boom', async () => { throw new Error('第二个进程的 <b>错误</b>') }) } }
  })

  it('lists both processes with pid, host, version, start and uptime; each shows its own last errors', async () => {
    const admin = await createUser(ctx.db.knex, { role: 'admin' })
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    const first = ctx.t.app.processHeartbeat.id
    const second = ctx.t2.app.processHeartbeat.id
    expect(first).not.toBe(second)

    const page = await agent.get('/admin').expect(200)
    const rows = processRows(page.text)
    expect(rows.map((r) => r.id).sort()).toEqual([first, second].sort())
    expect(page.text).toContain('共 2 个')
    for (const row of rows) {
      expect(row.html).toContain(`<td>${process.pid}</td>`)
      expect(row.html).toContain(os.hostname())
      expect(row.html).toMatch(/<td>\d+\.\d+\.\d+<\/td>/)
      expect(row.html).toMatch(/<td>\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}<\/td><td>(\d+ 天 )?\d+ 小时 \d+ 分钟<\/td>/)
      expect(row.html).toContain('<span class="xg1">无</span>')
    }
    // The answering process is marked; the other is not.
    expect(rows.find((r) => r.id === first)?.html).toContain('（本进程）')
    expect(rows.find((r) => r.id === second)?.html).not.toContain('（本进程）')

    // The second process fails twice more than a row keeps; its next beat carries the newest, escaped.
    for (let i = 0; i < ERRORS_PER_PROCESS + 2; i++) await ctx.t2.agent().get(`/test/boom?n=${i}`).expect(500)
    await ctx.t2.app.processHeartbeat.beat()
    const after = processRows((await agent.get('/admin').expect(200)).text)
    const secondRow = after.find((r) => r.id === second)?.html ?? ''
    expect(secondRow).toContain(`${ERRORS_PER_PROCESS + 2} 条`)
    expect(secondRow.match(/<li>/g)).toHaveLength(ERRORS_PER_PROCESS)
    expect(secondRow).toContain(`GET <span class="admin-break">/test/boom?n=${ERRORS_PER_PROCESS + 1}</span>：第二个进程的 &lt;b&gt;错误&lt;/b&gt;`)
    expect(secondRow).not.toContain('/test/boom?n=0')
    expect(after.find((r) => r.id === first)?.html).toContain('<span class="xg1">无</span>')
  })

  it('drops a process that stopped beating after LIVE_SECONDS, and a closed one at once', async () => {
    const admin = await createUser(ctx.db.knex, { role: 'admin' })
    const agent = await login(ctx.t.agent(), admin.username, admin.password)
    await ctx.t2.app.processHeartbeat.beat()
    ctx.t.clock.advance(LIVE_SECONDS - 1)
    expect(processRows((await agent.get('/admin').expect(200)).text)).toHaveLength(2)
    ctx.t.clock.advance(2) // the second process is silent (its timer is not due): it is gone from the list
    const rows = processRows((await agent.get('/admin').expect(200)).text)
    expect(rows.map((r) => r.id)).toEqual([ctx.t.app.processHeartbeat.id])

    const third = await ctx.secondApp()
    try {
      expect(processRows((await agent.get('/admin').expect(200)).text)).toHaveLength(2)
    } finally {
      await third.close()
    }
    expect(processRows((await agent.get('/admin').expect(200)).text)).toHaveLength(1)
    const stored = await ctx.db.knex('app_processes').pluck('id')
    expect(stored).not.toContain(third.app.processHeartbeat.id)
  })
})
