import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'

/**
 * A MariaDB server of the test's own (test/faults/): its own data directory under the temp folder, its
 * own port on 127.0.0.1, started with `--no-defaults` so nothing of the machine's server (the shared one
 * on 3306, its my.cnf, its data) is read or touched. The test stops, freezes and restarts it at will;
 * `remove()` kills it and deletes the directory (call it in afterAll).
 *
 * Needs mariadbd and mariadb-install-db (Debian: `apt-get install mariadb-server`; MARIADBD and
 * MARIADB_INSTALL_DB name other binaries). Missing, the test fails saying so: it is never skipped.
 */

function findBinary (env: string, name: string, places: readonly string[]): string {
  const given = process.env[env]
  if (given !== undefined && given !== '') {
    if (!fs.existsSync(given)) throw new Error(`${env}=${given}: no such file. The fault tests start their own MariaDB server: name an installed ${name}.`)
    return given
  }
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...places]) {
    const candidate = path.join(dir, name)
    if (dir !== '' && fs.existsSync(candidate)) return candidate
  }
  throw new Error(`${name} not found (looked in PATH and ${places.join(', ')}): the fault tests start their own MariaDB server. ` +
    `Install it (Debian: apt-get install mariadb-server) or name the binary with ${env}=/path/to/${name}.`)
}

export async function freePort (): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { if (typeof address === 'object' && address !== null) resolve(address.port); else reject(new Error('no port')) })
    })
  })
}

/** A data directory made by mariadb-install-db (root without a password), copied for each server: one install (≈ 5 s) serves several servers. */
export function installDataDirectory (into: string): void {
  const installDb = findBinary('MARIADB_INSTALL_DB', 'mariadb-install-db', ['/usr/bin', '/usr/local/bin'])
  const args = ['--no-defaults', `--datadir=${into}`, '--auth-root-authentication-method=normal', '--skip-test-db']
  // As root (CI containers) mariadbd refuses to run without --user=root.
  if (process.getuid?.() === 0) args.push('--user=root')
  const run = spawnSync(installDb, args, { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`mariadb-install-db failed (${String(run.status)}):\n${run.stdout}\n${run.stderr}`)
}

export interface MariaDbOptions {
  /** Replication: a distinct server id per server; the primary also writes a binary log. */
  readonly serverId?: number
  readonly binaryLog?: boolean
  /** A data directory to start from (copied), rather than a fresh install. */
  readonly template?: string
}

export class MariaDbServer {
  readonly dir: string
  readonly datadir: string
  port = 0
  private child: ChildProcess | null = null
  private log = ''

  private constructor (readonly name: string, private readonly options: MariaDbOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `luntan-${name}-`))
    this.datadir = path.join(this.dir, 'data')
  }

  /** Installs (or copies `template`), starts and waits until the server answers. */
  static async start (name: string, options: MariaDbOptions = {}): Promise<MariaDbServer> {
    const server = new MariaDbServer(name, options)
    try {
      if (options.template !== undefined) fs.cpSync(options.template, server.datadir, { recursive: true })
      else installDataDirectory(server.datadir)
      server.port = await freePort()
      await server.launch()
    } catch (err) {
      await server.remove()
      throw err
    }
    return server
  }

  get pid (): number | undefined { return this.child?.pid }

  url (database: string): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`
  }

  /** Starts mariadbd on the data directory (again, after stop() or kill(): the same files, the same port). */
  async launch (): Promise<void> {
    if (this.child !== null) throw new Error(`${this.name}: already running`)
    const mariadbd = findBinary('MARIADBD', 'mariadbd', ['/usr/sbin', '/usr/local/sbin', '/usr/libexec'])
    const args = [
      '--no-defaults', `--datadir=${this.datadir}`, `--port=${this.port}`, `--socket=${path.join(this.dir, 'sock')}`,
      '--bind-address=127.0.0.1', `--pid-file=${path.join(this.dir, 'mariadbd.pid')}`, '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
      // The test's own throwaway data: an fsync per commit would only slow the 2-core machine down.
      '--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0',
      `--server-id=${this.options.serverId ?? 1}`
    ]
    if (this.options.binaryLog === true) args.push(`--log-bin=${path.join(this.dir, 'binlog')}`, '--binlog-format=ROW')
    if (this.options.serverId !== undefined) args.push(`--relay-log=${path.join(this.dir, 'relay')}`)
    if (process.getuid?.() === 0) args.push('--user=root')
    const child = spawn(mariadbd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    child.stdout?.setEncoding('utf8')
    child.stderr?.setEncoding('utf8')
    child.stdout?.on('data', (c: string) => { this.log += c })
    child.stderr?.on('data', (c: string) => { this.log += c })
    child.once('error', (err) => { this.log += `\n${String(err)}` })
    child.once('exit', () => { if (this.child === child) this.child = null })
    // If the test process dies before afterAll (a timeout, ^C), the server must not outlive it.
    const orphan = (): void => { child.kill('SIGKILL') }
    process.once('exit', orphan)
    child.once('exit', () => { process.removeListener('exit', orphan) })
    const deadline = Date.now() + 60_000
    for (;;) {
      if (this.child === null) throw new Error(`${this.name}: mariadbd exited while starting:\n${this.log.slice(-3000)}`)
      try {
        await this.query('SELECT 1')
        return
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${this.name}: mariadbd did not answer within 60 s (${String(err)}):\n${this.log.slice(-3000)}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
  }

  /** One statement on a connection of its own (root, no database selected). */
  async query<T = unknown> (sql: string, values: unknown[] = []): Promise<T> {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 2000, multipleStatements: false })
    try {
      const [rows] = await conn.query(sql, values)
      return rows as T
    } finally {
      await conn.end().catch(() => {})
    }
  }

  /** Sends `signal` to mariadbd; for SIGTERM and SIGKILL resolves once it has exited. */
  async signal (signal: 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child
    if (child === null) throw new Error(`${this.name}: not running`)
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal)
      return
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
    child.kill(signal)
    await exited
  }

  get output (): string { return this.log }

  /** Kills the server (continuing it first if frozen) and deletes its directory. */
  async remove (): Promise<void> {
    const child = this.child
    if (child !== null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
      child.kill('SIGCONT')
      child.kill('SIGKILL')
      await exited
    }
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
