import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createKnex } from '../../src/db/knex'
import { MariaDbServer, installDataDirectory } from '../helpers/mariadb-server'
import { BROWSER, ServerProcess, cookieHeader, logInMember, type LoggedInMember } from '../helpers/server-process'
import { PASSWORD, seedFaultSite, type FaultSite } from './site'

/**
 * Issue 24, faults: a real replica. The test starts two mariadbd of its own, the second a binlog replica
 * of the first (GTID), and the app as a server process with DATABASE_URL on the primary and
 * DATABASE_READ_URL on the replica. Then:
 * - read-your-writes: with the replica's SQL thread stopped (lag), a member who just posted sees the
 *   comment on the next pages; a guest sees the replica's older state, and the new state once it catches up;
 * - the replica killed (SIGKILL): guests keep getting their pages (no 5xx), read from the primary
 *   (src/db/replica.ts: a read failing as unavailable runs again on the primary, the replica is left
 *   alone for a few seconds).
 */
jest.setTimeout(170_000)

const DATABASE = 'luntan_replica'
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))) }
/** A guest page cached before must expire (1 s) before a guest's next visit reads the database again. */
const GUEST_CACHE_MS = 1_100

describe('a real MariaDB replica behind DATABASE_READ_URL (the test\'s own two mariadbd)', () => {
  let template: string | undefined
  let primary: MariaDbServer | undefined
  let replica: MariaDbServer | undefined
  let server: ServerProcess | undefined
  let site: FaultSite
  let base: string
  let member: LoggedInMember

  const gtid = async (db: MariaDbServer, variable: string): Promise<string> => (await db.query<Array<{ pos: string }>>(`SELECT @@${variable} AS pos`))[0]?.pos ?? ''
  /** Waits until the replica has applied everything the primary has written (GTID positions equal). */
  async function caughtUp (within = 30_000): Promise<number> {
    const started = Date.now()
    const target = await gtid(required(primary), 'gtid_binlog_pos')
    while (await gtid(required(replica), 'gtid_slave_pos') !== target) {
      if (Date.now() - started > within) throw new Error(`the replica did not catch up with ${target} within ${within} ms: ${JSON.stringify(await required(replica).query('SHOW SLAVE STATUS'))}`)
      await sleep(100)
    }
    return Date.now() - started
  }
  const guest = async (url: string): Promise<{ status: number, text: string, ms: number }> => {
    const started = Date.now()
    const res = await fetch(base + url, { headers: { 'User-Agent': BROWSER }, redirect: 'manual', signal: AbortSignal.timeout(15_000) })
    return { status: res.status, text: await res.text(), ms: Date.now() - started }
  }
  const asMember = async (url: string): Promise<{ status: number, text: string }> => {
    const res = await fetch(base + url, { headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(member.cookies) }, redirect: 'manual' })
    return { status: res.status, text: await res.text() }
  }
  const postComment = async (article: number, message: string): Promise<number> => {
    const res = await fetch(`${base}article/${article}/comments`, { method: 'POST', redirect: 'manual', headers: { 'User-Agent': BROWSER, Cookie: cookieHeader(member.cookies), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: member.token, message }) })
    await res.arrayBuffer()
    return res.status
  }
  const storedOn = async (db: MariaDbServer, body: string): Promise<number> =>
    Number((await db.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${DATABASE}.comments WHERE body = ?`, [body]))[0]?.n)

  beforeAll(async () => {
    // One install, copied for both servers (mariadb-install-db takes ≈ 5 s).
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-replica-template-'))
    installDataDirectory(path.join(template, 'data'))
    primary = await MariaDbServer.start('faults-primary', { serverId: 1, binaryLog: true, template: path.join(template, 'data') })
    replica = await MariaDbServer.start('faults-replica', { serverId: 2, template: path.join(template, 'data') })
    // From the start of the primary's binary log (an empty GTID position): the replica replays everything.
    await replica.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos`)
    await replica.query('START SLAVE')
    await primary.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    const db = createKnex({ client: 'mysql', url: primary.url(DATABASE) }, 2)
    try {
      // Flood control off: the test posts twice in a row as one member.
      site = await seedFaultSite(db, { articles: 4, threads: 4, members: 2, floodSeconds: 0 })
    } finally {
      await db.destroy()
    }
    await caughtUp()
    server = new ServerProcess(primary.url(DATABASE), { DATABASE_READ_URL: replica.url(DATABASE) })
    base = await server.url()
    member = await logInMember(base, site.members[0] ?? '', PASSWORD)
  }, 150_000)

  afterAll(async () => {
    await server?.stop()
    await replica?.remove()
    await primary?.remove()
    if (template !== undefined) fs.rmSync(template, { recursive: true, force: true })
  })

  it('a member sees their comment at once while the replica lags; guests see the replica, then catch up', async () => {
    const article = site.articles[0] ?? 0
    expect((await guest(`article/${article}`)).status).toBe(200)
    await required(replica).query('STOP SLAVE SQL_THREAD')
    const body = `只读副本测试评论 ${crypto.randomUUID()}`
    expect(await postComment(article, body)).toBe(303)
    // The lag is real: the primary has the row, the replica has not.
    expect({ primary: await storedOn(required(primary), body), replica: await storedOn(required(replica), body) }).toEqual({ primary: 1, replica: 0 })

    // Read-your-writes: the member's pages come from the primary.
    for (const url of [`article/${article}`, `article/${article}/comments`]) {
      const page = await asMember(url)
      expect({ url, status: page.status, sees: page.text.includes(body) }).toEqual({ url, status: 200, sees: true })
    }
    // Guests read the replica: its older state, on a page fresh from the database (the cache expired) and
    // on one never cached before.
    await sleep(GUEST_CACHE_MS)
    for (const url of [`article/${article}`, `article/${article}/comments`, `archiver/aid-${article}.html`]) {
      const page = await guest(url)
      expect({ url, status: page.status, sees: page.text.includes(body) }).toEqual({ url, status: 200, sees: false })
    }

    await required(replica).query('START SLAVE SQL_THREAD')
    const lagMs = await caughtUp()
    const started = Date.now()
    let seen = false
    while (!seen && Date.now() - started < 5_000) {
      await sleep(200)
      seen = (await guest(`article/${article}`)).text.includes(body)
    }
    console.log(`replica: caught up ${lagMs} ms after START SLAVE SQL_THREAD; a guest saw the comment ${Date.now() - started} ms after that`)
    expect(seen).toBe(true)
  })

  it('the replica killed: guests get their pages from the primary, no 5xx', async () => {
    await required(replica).signal('SIGKILL')
    const killedAt = Date.now()
    const article = site.articles[1] ?? 0
    const body = `副本停机后的评论 ${crypto.randomUUID()}`
    expect(await postComment(article, body)).toBe(303)

    const answers: Array<{ url: string, status: number, ms: number }> = []
    let seenAt: number | null = null
    // Past the replica's down period (REPLICA_DOWN_MS, 5 s): it is tried again, fails again, falls back again.
    const until = Date.now() + 8_000
    await Promise.all(Array.from({ length: 4 }, async (_v, worker) => {
      for (let i = worker; Date.now() < until; i++) {
        const url = site.guestUrls[i % site.guestUrls.length] ?? ''
        try {
          const page = await guest(url)
          answers.push({ url, status: page.status, ms: page.ms })
        } catch {
          answers.push({ url, status: 0, ms: Date.now() - killedAt })
        }
      }
    }).concat((async () => {
      while (seenAt === null && Date.now() < until) {
        await sleep(250)
        if ((await guest(`article/${article}`)).text.includes(body)) seenAt = Date.now()
      }
    })()))
    const statuses = answers.reduce<Record<string, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {})
    console.log(`replica killed: ${answers.length} guest pages in 8 s ${JSON.stringify(statuses)}, max latency ${Math.max(...answers.map((a) => a.ms))} ms; ` +
      `a comment posted after the kill seen by a guest ${seenAt === null ? 'never' : `${seenAt - killedAt} ms`} after it`)
    expect(answers.filter((a) => a.status !== 200)).toEqual([])
    expect(answers.length).toBeGreaterThan(20)
    // Read from the primary: a guest sees what only the primary has.
    expect(seenAt).not.toBeNull()
    expect(required(server).output).toContain('read replica unavailable')
    expect(required(server).child.exitCode).toBeNull()
  })
})

function required<T> (value: T | undefined): T {
  if (value === undefined) throw new Error('set up in beforeAll')
  return value
}
