import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { createKnex, type DatabaseTimeouts } from '../db/knex'
import { fallBackToPrimary } from '../db/replica'
import type { AppConfig } from '../config'

declare module 'fastify' {
  interface FastifyInstance {
    /** The primary database (all writes, member pages). */
    db: Knex
    /** Guest-facing reads: the replica when DATABASE_READ_URL is set, else the primary. */
    dbRead: Knex
  }
}

export interface DbPluginOptions {
  config: AppConfig
  /** Tests and the CLI may hand in an existing Knex; the app then does not destroy it on close. */
  knex?: Knex
}

/** How long reads stay on the primary after the replica failed, before it is tried again. */
export const REPLICA_DOWN_MS = 5_000

export default fp<DbPluginOptions>(async (app, opts) => {
  const owned = opts.knex === undefined
  // Knex's own warnings go to the app's log, one line each: it printed every failed connection attempt
  // with its stack on the console (one per request while the database was down).
  const log: Knex.Logger = {
    warn: (message: string) => { app.log.warn({ reason: message.split('\n')[0] }, 'knex') },
    error: (message: string) => { app.log.error({ reason: message.split('\n')[0] }, 'knex') }
  }
  const ms = opts.config.databaseTimeoutMs
  const timeouts: DatabaseTimeouts = { connectMs: ms, acquireMs: ms, queryMs: ms }
  const db = opts.knex ?? createKnex(opts.config.database, undefined, log, timeouts)
  const dbRead = opts.config.readDatabase !== null ? createKnex(opts.config.readDatabase, undefined, log, timeouts) : db
  if (dbRead !== db) {
    // A replica that fails as unavailable: its reads go to the primary for a few seconds (guests keep
    // their pages; the primary carries the reads meanwhile), then it is tried again.
    fallBackToPrimary(dbRead, db, {
      downForMs: REPLICA_DOWN_MS,
      onDown: (err) => { app.log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'read replica unavailable: reading from the primary') }
    })
  }
  app.decorate('db', db)
  app.decorate('dbRead', dbRead)
  app.addHook('onClose', async () => {
    // Feature onClose hooks (e.g. the view counter flush) run before this one: registered earlier, closed later.
    if (dbRead !== db) await dbRead.destroy()
    if (owned) await db.destroy()
  })
}, { name: 'db' })
