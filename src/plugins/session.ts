import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import type { Knex } from 'knex'
import type { Session } from 'fastify'
import type { AppConfig } from '../config'
import type { Clock } from '../lib/clock'

declare module 'fastify' {
  interface Session {
    /** Set at login; the auth plugin loads the member from it on every request. */
    userId?: number
    /** When this login happened (Unix seconds). */
    loginAt?: number
  }
}

export const SESSION_COOKIE = 'luntan_sid'
const SESSION_MAX_AGE_MS = 30 * 24 * 3600 * 1000
const CLEANUP_EVERY_MS = 10 * 60 * 1000
const ROLLING_WRITE_EVERY_S = 3600

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

/**
 * Sessions in the database, so every app process behind a load balancer sees the same ones.
 * `user_id` is a column (not only inside `data`) so a password change can end a member's other sessions.
 */
export class KnexSessionStore implements SessionStore {
  private lastCleanup = 0
  // What this process last wrote per session: rolling expiry would otherwise cost a write on every
  // page a member reads. Unchanged data is rewritten only when the expiry has moved by an hour.
  private readonly written = new LRUCache<string, { data: string, expiresAt: number }>({ max: 50_000 })
  constructor (private readonly db: Knex, private readonly clock: Clock) {}

  set (sessionId: string, session: Session, callback: Callback): void {
    const expires = session.cookie.expires
    const expiresAt = Math.floor((expires instanceof Date ? expires.getTime() : this.clock.nowMs() + SESSION_MAX_AGE_MS) / 1000)
    const data = JSON.stringify(session)
    const contentKey = JSON.stringify(session, (key, value: unknown) => key === 'cookie' ? undefined : value)
    const last = this.written.get(sessionId)
    if (last !== undefined && last.data === contentKey && expiresAt - last.expiresAt < ROLLING_WRITE_EVERY_S) {
      callback()
      return
    }
    const row = {
      id: sessionId,
      user_id: session.userId ?? null,
      data,
      expires_at: expiresAt
    }
    this.written.set(sessionId, { data: contentKey, expiresAt })
    this.db('sessions').insert(row).onConflict('id').merge()
      .then(async () => await this.cleanupExpired())
      .then(() => callback(), callback)
  }

  get (sessionId: string, callback: GetCallback): void {
    this.db('sessions').where({ id: sessionId }).first('data', 'expires_at')
      .then((row: { data: string, expires_at: number } | undefined) => {
        if (row === undefined || row.expires_at <= this.clock.now()) return callback(null, null)
        callback(null, JSON.parse(row.data) as Session)
      }, callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.written.delete(sessionId)
    this.db('sessions').where({ id: sessionId }).delete().then(() => callback(), callback)
  }

  /** Expired rows are removed now and then by whichever process writes a session. */
  private async cleanupExpired (): Promise<void> {
    const nowMs = this.clock.nowMs()
    if (nowMs - this.lastCleanup < CLEANUP_EVERY_MS) return
    this.lastCleanup = nowMs
    await this.db('sessions').where('expires_at', '<=', this.clock.now()).delete()
  }
}

export default fp<{ config: AppConfig }>(async (app, opts) => {
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: opts.config.sessionSecret,
    cookieName: SESSION_COOKIE,
    store: new KnexSessionStore(app.db, app.clock),
    // Guests get no session (and no database row) until something needs one, e.g. a form's CSRF token.
    saveUninitialized: false,
    rolling: true,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      // 'auto': Secure when the request came over HTTPS (X-Forwarded-Proto is honoured with TRUST_PROXY).
      secure: 'auto',
      maxAge: SESSION_MAX_AGE_MS
    }
  })
}, { name: 'session', dependencies: ['db', 'clock'] })
