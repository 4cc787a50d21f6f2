import { buildTestApp, type TestApp, type TestAppOptions } from './app'
import { createTestDatabase, type Dialect, type TestDatabase } from './database'

export interface UseTestAppOptions {
  /**
   * The app's options, or a function of the database for options that name it (a read replica's URL);
   * `false` for a block that needs only the database (it builds its apps itself, or none).
   */
  app?: false | TestAppOptions | ((db: TestDatabase) => TestAppOptions)
  /** A fresh app before each test, closed after it (rate limits and lockouts start from zero); the database lives for the block. */
  perTest?: boolean
  /** `false`: an empty database, for tests of the migrations themselves or of a process that migrates. */
  migrate?: boolean
  /** Runs once the database exists and before the first app is built (data the app reads as it starts). */
  seed?: (db: TestDatabase) => Promise<void>
  /** The app on a connection pool of its own (`db.connect()`), so a test may destroy it and leave the database to clean up. */
  ownPool?: boolean
  /** A second app instance (`ctx.t2`) on its own pool, with the first one's options and clock: two processes on one database. */
  second?: boolean
}

export interface TestContext {
  readonly db: TestDatabase
  readonly t: TestApp
  readonly t2: TestApp
  /**
   * Another app instance on the same database (its own pool, the first app's options and clock unless
   * `options` say otherwise). The caller closes it; its pool goes with the database.
   */
  secondApp: (options?: TestAppOptions) => Promise<TestApp>
}

/**
 * The setup every test file shares, registered in the calling `describe` block: a fresh database for the
 * block (created, migrated, dropped afterwards) and an app on it, closed before the database goes. The
 * returned object's getters read the current database and apps, so a test reads `ctx.t.agent()` whether
 * the app is built once for the block or once per test. The caller's own `beforeAll` runs after this
 * one (the app is up), and its `afterAll` after the app is closed.
 */
export function useTestApp (dialect: Dialect, options: UseTestAppOptions = {}): TestContext {
  let db: TestDatabase | undefined
  let t: TestApp | undefined
  let t2: TestApp | undefined

  const appOptions = (database: TestDatabase): TestAppOptions | undefined => {
    if (options.app === false) return undefined
    const own = typeof options.app === 'function' ? options.app(database) : options.app ?? {}
    return options.ownPool === true ? { ...own, knex: database.connect() } : own
  }
  const secondApp = async (overrides: TestAppOptions = {}): Promise<TestApp> => {
    const database = required(db, 'database')
    const first = required(t, 'app')
    return await buildTestApp(database, { ...appOptions(database), clock: first.clock, knex: database.connect(), ...overrides })
  }
  const openApps = async (): Promise<void> => {
    const database = required(db, 'database')
    const own = appOptions(database)
    if (own === undefined) return
    t = await buildTestApp(database, own)
    if (options.second === true) t2 = await secondApp()
  }
  const closeApps = async (): Promise<void> => {
    await t?.close()
    // The second app's pool is its own: destroyed with it, not left open until the database goes.
    await t2?.close()
    await t2?.app.db.destroy()
    t = undefined
    t2 = undefined
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect, { migrate: options.migrate })
    await options.seed?.(db)
    if (options.perTest !== true) await openApps()
  })
  if (options.perTest === true) {
    beforeEach(openApps)
    afterEach(closeApps)
  }
  afterAll(async () => {
    await closeApps()
    await db?.destroy()
  })

  return {
    get db () { return required(db, 'database') },
    get t () { return required(t, 'app') },
    get t2 () { return required(t2, 'second app (option `second`)') },
    secondApp
  }
}

function required<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`useTestApp: no ${what} here (read it inside a test or hook, after the block's setup)`)
  return value
}
