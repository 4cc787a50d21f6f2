import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { createKnex } from '../db/knex'
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

export default fp<DbPluginOptions>(async (app, opts) => {
  const owned = opts.knex === undefined
  const db = opts.knex ?? createKnex(opts.config.database)
  const dbRead = opts.config.readDatabase !== null ? createKnex(opts.config.readDatabase) : db
  app.decorate('db', db)
  app.decorate('dbRead', dbRead)
  app.addHook('onClose', async () => {
    // Feature onClose hooks (e.g. the view counter flush) run before this one: registered earlier, closed later.
    if (dbRead !== db) await dbRead.destroy()
    if (owned) await db.destroy()
  })
}, { name: 'db' })
