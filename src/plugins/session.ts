import fp from 'fastify-plugin'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import type { Knex } from 'knex'
import type { Session } from 'fastify'
import type { AppConfig } from '../config'
import type { Clock } from '../lib/clock'
import { MicroCache } from '../lib/micro-cache'

declare module 'fastify' {
  interface Session {
    /** Set at login; the auth plugin loads the member from it on every request. */
    userId?: number
    /** When this login happened (Unix seconds). */
    loginAt?: number
  }
}

export const SESSION_COOKIE = 'luntan_sid'
/**
 * How long a remembered login (自动登录) keeps its cookie, rolling; also how long a session row lives
 * on the server. A login without 自动登录 gets a browser-session cookie (no Expires) instead.
 */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600 * 1000
const CLEANUP_EVERY_MS = 10 * 60 * 1000
/** A rolling session whose data did not change is rewritten only when its expiry moved by this much. */
const EXPIRY_SLACK_SECONDS = 3600
const LOADED_MAX = 20000
/** How long a process reuses a session row it read (issue #19): the window settings already have. */
export const SESSION_CACHE_MS = 1000
const SESSION_CACHE_MAX = 20000

/** The session's data without its cookie (whose expiry moves on every request of a rolling session). */
function fingerprint (data: unknown): string {
  const copy = JSON.parse(JSON.stringify(data)) as Record<string, unknown>
  delete copy.cookie
  return JSON.stringify(copy)
}

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

/**
 * Sessions in the database, so every app process behind a load balancer sees the same ones.
 * `user_id` is a column (not only inside `data`) so a password change can end a member's other sessions.
 */
export class KnexSessionStore implements SessionStore {
  /**
   * Ids this process read from the table during a request that has not saved yet. Saving such a session
   * only UPDATEs its row: if the row was deleted meanwhile (logout elsewhere, or a password change ending
   * the member's other sessions), a request that was already in flight must not bring it back to life.
   * New sessions (first visit, or the new id from regenerate() at login) are not in here and are inserted.
   * Rolling sessions would otherwise cost one write per page view: an unchanged session whose stored
   * expiry is less than EXPIRY_SLACK_SECONDS behind is not written at all (it may end that much early).
   */
  // A Map, not an LRUCache: it is nearly always empty between requests, and lru-cache's delete of its
  // last entry resets every slot of the cache (20,000 here), a visible cost on every member request.
  private readonly loaded = new Map<string, { fingerprint: string, expiresAt: number }>()
  /**
   * Rows read in the last SESSION_CACHE_MS, as stored (the JSON text, parsed afresh for each request, which
   * may change its copy): a member's page views within a second cost no session query. A logout or a
   * save in this process updates it at once; a session ended by another process (or by a password change
   * deleting the member's rows) still opens pages here for at most that second, the window a changed
   * setting or a ban already has.
   */
  private readonly recent: MicroCache<{ data: string, expiresAt: number }>
  constructor (private readonly db: Knex, private readonly clock: Clock, cacheMs = SESSION_CACHE_MS) {
    this.recent = new MicroCache(cacheMs, SESSION_CACHE_MAX)
  }

  /**
   * Sessions of requests answered with a 5xx page: not saved. Whatever the failed request changed in its
   * session goes with it (as its database writes were rolled back), and during an outage the save would
   * need the database the page says is gone: its failure, after the error page was chosen, made Fastify
   * answer with its own English JSON instead (test/faults/database-stopped.test.ts found it).
   */
  readonly discarded = new WeakSet<object>()

  set (sessionId: string, session: Session, callback: Callback): void {
    if (this.discarded.has(session)) {
      this.loaded.delete(sessionId)
      callback()
      return
    }
    const expires = session.cookie.expires
    const expiresAt = Math.floor((expires instanceof Date ? expires.getTime() : this.clock.nowMs() + SESSION_MAX_AGE_MS) / 1000)
    const row = {
      id: sessionId,
      // A column, not only inside `data`: a password change deletes the member's other sessions by it.
      user_id: session.userId ?? null,
      data: JSON.stringify(session),
      expires_at: expiresAt
    }
    let loaded = this.loaded.get(sessionId)
    this.loaded.delete(sessionId)
    if (loaded === undefined) {
      // Two requests of one member at once: the first to finish took the entry. The row this process read
      // under a second ago stands in for it. Without it every overlapping request rewrote the row (an
      // upsert, at that), and during a database outage that write failed an error page already on its
      // way out, which Fastify then answered with its English JSON (test/faults/database-stopped.test.ts).
      const cached = this.recent.get(sessionId, this.clock.nowMs())
      if (cached !== undefined) loaded = { fingerprint: fingerprint(JSON.parse(cached.data)), expiresAt: cached.expiresAt }
    }
    if (loaded !== undefined && expiresAt - loaded.expiresAt < EXPIRY_SLACK_SECONDS && fingerprint(session) === loaded.fingerprint) {
      callback()
      return
    }
    this.recent.delete(sessionId)
    const write = loaded !== undefined
      ? this.db('sessions').where({ id: sessionId }).update({ user_id: row.user_id, data: row.data, expires_at: row.expires_at })
      : this.db('sessions').insert(row).onConflict('id').merge()
    write.then(() => callback(), callback)
  }

  get (sessionId: string, callback: GetCallback): void {
    const nowMs = this.clock.nowMs()
    const cached = this.recent.get(sessionId, nowMs)
    if (cached !== undefined) {
      this.opened(sessionId, cached.data, cached.expiresAt, callback)
      return
    }
    this.db('sessions').where({ id: sessionId }).first('data', 'expires_at')
      .then((row: { data: string, expires_at: number } | undefined) => {
        if (row === undefined) return callback(null, null)
        const stored = { data: row.data, expiresAt: Number(row.expires_at) }
        this.recent.set(sessionId, stored, nowMs)
        this.opened(sessionId, stored.data, stored.expiresAt, callback)
      }, callback)
  }

  /** A stored row handed to the request: expired ones are refused, and the row is remembered for `set`. */
  private opened (sessionId: string, text: string, expiresAt: number, callback: GetCallback): void {
    if (expiresAt <= this.clock.now()) {
      callback(null, null)
      return
    }
    const data = JSON.parse(text) as Session
    // Bounded: ids whose request never saved (an error page) are dropped oldest first.
    if (this.loaded.size >= LOADED_MAX) this.loaded.delete(this.loaded.keys().next().value as string)
    this.loaded.delete(sessionId)
    this.loaded.set(sessionId, { fingerprint: fingerprint(data), expiresAt })
    callback(null, data)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.loaded.delete(sessionId)
    this.recent.delete(sessionId)
    this.db('sessions').where({ id: sessionId }).delete().then(() => callback(), callback)
  }

  /**
   * Deletes at most `limit` expired rows (oldest first, on the expires_at index) and says how many:
   * bounded, so a backlog (a table grown to millions before this ran) is worked off a batch per run
   * instead of in one statement that locks the table for seconds. Two statements, because MariaDB
   * refuses LIMIT inside an IN subquery; a row deleted meanwhile by another process is simply gone.
   */
  async deleteExpired (limit: number): Promise<number> {
    const ids = await this.db('sessions').where('expires_at', '<=', this.clock.now())
      .orderBy('expires_at').limit(limit).pluck('id') as string[]
    if (ids.length === 0) return 0
    return await this.db('sessions').whereIn('id', ids).andWhere('expires_at', '<=', this.clock.now()).delete()
  }
}

/** How often each process deletes a batch of expired sessions, and how many at most. */
export const SESSION_CLEANUP = { everyMs: CLEANUP_EVERY_MS, batch: 1000 } as const

export default fp<{ config: AppConfig, cacheMs?: number }>(async (app, opts) => {
  // The secret signs the guest CSRF cookie (security.ts); the session cookie is signed by the session plugin.
  // Both sign with the first secret and accept each of them: SESSION_SECRET_PREVIOUS keeps members logged in
  // while SESSION_SECRET is rotated (README, "Secrets").
  const secrets = [opts.config.sessionSecret, ...opts.config.previousSessionSecrets]
  await app.register(fastifyCookie, { secret: secrets })
  const store = new KnexSessionStore(app.db, app.clock, opts.cacheMs)
  // Expired sessions: one bounded batch per run in every process (each process's batch is small, and
  // together they keep up with any rate of new sessions a site like this sees). unref'd: the timer never
  // keeps a process alive, and it is cleared when the app closes.
  const cleanup = setInterval(() => {
    store.deleteExpired(SESSION_CLEANUP.batch).catch((err: unknown) => { app.log.warn({ err }, 'expired session cleanup failed') })
  }, SESSION_CLEANUP.everyMs)
  cleanup.unref()
  app.addHook('onClose', async () => { clearInterval(cleanup) })
  // Before the session plugin's own onSend hook (hooks run in the order added), which saves the session.
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 500 && request.session !== undefined && request.session !== null) store.discarded.add(request.session)
  })
  await app.register(fastifySession, {
    secret: secrets,
    cookieName: SESSION_COOKIE,
    store,
    // Guests get no session (and no database row) until something is kept in it: a login. (A form's CSRF
    // secret lives in its own cookie, security.ts.)
    saveUninitialized: false,
    rolling: true,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      // 'auto': Secure when the request came over HTTPS (X-Forwarded-Proto is honoured with TRUST_PROXY).
      secure: 'auto'
      // No maxAge here: a session's cookie is a browser-session cookie unless the login asked for
      // 自动登录 (startSession in src/features/members sets maxAge on that session, kept in its row).
    }
  })
}, { name: 'session', dependencies: ['db', 'clock'] })
