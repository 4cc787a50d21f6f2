import crypto from 'node:crypto'
import os from 'node:os'
import type { Clock } from '../../lib/clock'
import type { RecordedError } from '../../lib/error-ring'
import type { SiteAdminRepository } from './repository'

/**
 * Which app processes are alive (站点状态 → 进程): each process upserts one row of `app_processes` every
 * HEARTBEAT_MS with its identity and its last errors; the dashboard lists the rows seen within
 * LIVE_SECONDS. A process that dies stops beating and drops off the list; its row is deleted a day later.
 */

export const HEARTBEAT_MS = 5000
/** Three missed beats: a busy process is not shown as gone, a dead one disappears within 15 s. */
export const LIVE_SECONDS = 15
/** Errors per process kept in its row (the newest of its in-memory ring). */
export const ERRORS_PER_PROCESS = 5
const FORGET_SECONDS = 86400

export interface ProcessInfo {
  id: string
  pid: number
  host: string
  version: string
  startedAt: number
  seenAt: number
  errorCount: number
  recentErrors: RecordedError[]
  /** The process answering this request. */
  current: boolean
}

export interface HeartbeatDeps {
  repo: SiteAdminRepository
  clock: Clock
  version: string
  /** This process's errors, newest first (app.errorRing). */
  errors: () => { list: RecordedError[], count: number }
}

function parseErrors (raw: string): RecordedError[] {
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((e): e is RecordedError => typeof e === 'object' && e !== null && typeof (e as RecordedError).message === 'string') : []
  } catch {
    return []
  }
}

export function heartbeat (deps: HeartbeatDeps) {
  const { repo, clock } = deps
  const id = crypto.randomBytes(12).toString('hex')
  const startedAt = Math.floor((clock.nowMs() - process.uptime() * 1000) / 1000)
  const host = os.hostname().slice(0, 255)

  return {
    id,

    /** Writes this process's row (and forgets processes silent for a day). */
    async beat (): Promise<void> {
      const now = clock.now()
      const errors = deps.errors()
      const row = {
        pid: process.pid,
        host,
        version: deps.version.slice(0, 64),
        started_at: startedAt,
        seen_at: now,
        error_count: errors.count,
        recent_errors: JSON.stringify(errors.list.slice(0, ERRORS_PER_PROCESS))
      }
      await repo.upsertProcess(id, row)
      await repo.forgetProcesses(now - FORGET_SECONDS)
    },

    /** The processes seen within LIVE_SECONDS, oldest first (served by the seen_at index). */
    async live (): Promise<ProcessInfo[]> {
      const rows = await repo.processesSeenSince(clock.now() - LIVE_SECONDS)
      return rows.map((r) => ({
        id: r.id,
        pid: Number(r.pid),
        host: r.host,
        version: r.version,
        startedAt: Number(r.started_at),
        seenAt: Number(r.seen_at),
        errorCount: Number(r.error_count),
        recentErrors: parseErrors(r.recent_errors),
        current: r.id === id
      }))
    },

    /** Removes this process's row as it closes (a clean stop leaves the list at once). */
    async leave (): Promise<void> {
      await repo.deleteProcess(id)
    }
  }
}

export type Heartbeat = ReturnType<typeof heartbeat>
