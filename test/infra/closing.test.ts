import net from 'node:net'
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'
import { buildTestApp } from '../helpers/app'

/**
 * A request that arrives while the process drains for a restart (SIGTERM → app.close()): the site's
 * Chinese 503 page with Retry-After and Connection: close, not Fastify's English JSON; a request that was
 * already running finishes normally.
 */
describe.each(dialects)('a request during the shutdown drain on %s', (dialect) => {
  let db: TestDatabase
  beforeAll(async () => { db = await createTestDatabase(dialect) })
  afterAll(async () => { await db.destroy() })

  it('answers the Chinese 503 page to a request waiting on an open connection, while the running one finishes', async () => {
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    const t = await buildTestApp(db, { routes: (app) => { app.get('/test-slow', async () => { await held; return 'done' }) } })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as net.AddressInfo
    // A keep-alive connection busy with a slow request when the drain starts; its next request comes after.
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { received += chunk })
    const ended = new Promise<void>((resolve) => { socket.on('close', () => resolve()) })
    socket.write('GET /test-slow HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closed = t.app.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    release()
    for (let i = 0; i < 100 && !received.includes('done'); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n')
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 3000))])
    socket.destroy()
    await closed
    const [first = '', second = ''] = received.split(/(?=HTTP\/1\.1 )/)
    expect(first).toMatch(/^HTTP\/1\.1 200/)
    expect(first).toContain('done')
    expect(second).toMatch(/^HTTP\/1\.1 503/)
    expect(second).toMatch(/content-type: text\/html/i)
    expect(second).toMatch(/retry-after: 5/i)
    expect(second).toMatch(/connection: close/i)
    expect(second).toContain('网站正在重启，请稍后再试')
  })
})
