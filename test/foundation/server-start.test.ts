import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'
import bcrypt from 'bcrypt'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'

const ROOT = path.join(__dirname, '..', '..')
const RULE = '='.repeat(64)

/** `npm start` as a developer runs it (development logs), on a free port. */
class ServerProcess {
  readonly child: ChildProcessWithoutNullStreams
  output = ''

  constructor (databaseUrl: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, PORT: '0', BCRYPT_COST: '4', WORKERS: '1' }
    })
    this.child.stdout.setEncoding('utf8')
    this.child.stderr.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => { this.output += chunk })
    this.child.stderr.on('data', (chunk: string) => { this.output += chunk })
  }

  async waitFor (pattern: RegExp): Promise<RegExpExecArray> {
    for (let i = 0; i < 400; i++) {
      const m = pattern.exec(this.output)
      if (m !== null) return m
      if (this.child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`no ${String(pattern)} in the output:\n${this.output}`)
  }

  async stop (): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.child.kill('SIGTERM')
    return await exited
  }
}

describe.each(dialects)('starting the server (npm start) on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: false, migrate: false })
  let server: ServerProcess | undefined
  let databaseUrl: string

  beforeAll(async () => {
    databaseUrl = ctx.db.config.client === 'sqlite' ? `sqlite:${ctx.db.config.filename}` : ctx.db.config.url
  })
  afterEach(async () => { await server?.stop() })

  it('prints the first-run admin password last and framed, then logs each request on one readable line; the second start shows no password', async () => {
    server = new ServerProcess(databaseUrl)
    const banner = await server.waitFor(new RegExp(`${RULE}\\n([^]*?)\\n${RULE}\\n`))
    const url = (await server.waitFor(/luntan 运行于 (http:\/\/\S+\/) /))[1] ?? ''
    const password = /密码 +password: +(\S+)/.exec(banner[1] ?? '')?.[1] ?? ''
    expect(password.length).toBeGreaterThanOrEqual(12)
    const admin = await ctx.db.knex('users').where({ username_key: 'admin' }).first<{ password_hash: string } | undefined>('password_hash')
    expect(await bcrypt.compare(password, admin?.password_hash ?? '')).toBe(true)
    expect(banner[1]).toContain(`${url}login`)

    // Start-up logs come first, readable, and the block is the last thing printed.
    const startup = server.output
    expect(startup.trimEnd().endsWith(RULE)).toBe(true)
    expect(startup.indexOf('Server listening')).toBeGreaterThanOrEqual(0)
    expect(startup.indexOf('Server listening')).toBeLessThan(startup.indexOf(RULE))
    expect(startup).not.toMatch(/^\{"level"/m)

    // A request: one line, no pino JSON.
    const res = await fetch(`${url}forum`)
    expect(res.status).toBe(200)
    const line = await server.waitFor(/^.*GET \/forum 200 \d+ ms #\w+$/m)
    const after = server.output.slice(startup.length)
    expect(after.trim().split('\n')).toEqual([line[0]])
    expect(await server.stop()).toBe(0)

    // The password is shown only on the first start.
    server = new ServerProcess(databaseUrl)
    await server.waitFor(/luntan 运行于 http/)
    expect(server.output).not.toContain('password')
    expect(await server.stop()).toBe(0)
  }, 90000)
})
