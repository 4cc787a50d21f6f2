import type { Knex } from 'knex'
import { isDatabaseUnavailable } from './knex'

/** Knex's internal runner (one per executed query builder or raw query): what `then()` calls. */
interface QueryRunner { run: () => Promise<unknown> }
interface RunnerClient { runner: (builder: unknown) => QueryRunner }

export interface ReplicaFallbackOptions {
  /** How long the replica is left alone after it failed as unavailable: reads go to the primary meanwhile. */
  readonly downForMs: number
  readonly nowMs?: () => number
  /** Told once each time the replica is marked down (the app logs it). */
  readonly onDown?: (err: unknown) => void
}

export interface ReplicaHealth {
  /** Whether reads go to the primary now because the replica failed a moment ago. */
  readonly isDown: () => boolean
}

/**
 * Makes reads on `replica` fall back to `primary` when the replica is unavailable (killed, unreachable,
 * hung past the query timeout): the failed read is run again on the primary, and for `downForMs` every
 * read goes straight to the primary, so an outage of the replica costs one slow read, not one per page.
 * After that the replica is tried again. Only errors meaning "unavailable" (isDatabaseUnavailable) fall
 * back: a wrong query fails the same on both and is thrown as it is.
 *
 * Done at Knex's runner, under every repository, so the services keep one `dbRead` handle and no read
 * path can forget the fallback. Reads only: a transaction on the replica handle does not go through the
 * runner hook (Knex builds transaction clients from the prototype), and nothing writes there.
 */
export function fallBackToPrimary (replica: Knex, primary: Knex, options: ReplicaFallbackOptions): ReplicaHealth {
  const nowMs = options.nowMs ?? Date.now
  let downUntil = 0
  const replicaClient = replica.client as unknown as RunnerClient
  const primaryClient = primary.client as unknown as RunnerClient
  const replicaRunner = replicaClient.runner.bind(replicaClient)
  replicaClient.runner = (builder: unknown) => {
    const runner = replicaRunner(builder)
    const run = runner.run.bind(runner)
    runner.run = async () => {
      // The builder compiles the same SQL for either client (both are MySQL): only the connection differs.
      if (nowMs() < downUntil) return await primaryClient.runner(builder).run()
      try {
        return await run()
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err
        if (nowMs() >= downUntil) options.onDown?.(err)
        downUntil = nowMs() + options.downForMs
        return await primaryClient.runner(builder).run()
      }
    }
    return runner
  }
  return { isDown: () => nowMs() < downUntil }
}
