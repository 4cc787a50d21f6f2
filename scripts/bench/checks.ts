import type { Knex } from 'knex'

/**
 * Correctness checks run after each app run of the benchmark: counters must equal their rows.
 * Each returns null when consistent, or a short description of the drift. Features add theirs.
 */
export interface BenchCheck { name: string, run: (db: Knex) => Promise<string | null> }

export const CHECKS: BenchCheck[] = []
