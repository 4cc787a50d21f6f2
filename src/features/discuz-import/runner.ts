import type { Knex } from 'knex'
import type { DiscuzSource } from './source'
import type { ClickSlots } from '../../lib/discuz-click-slots'

/**
 * The shape every import step has, and the loop that runs one: read a batch of source rows after the
 * checkpoint's key (keyset, never OFFSET), map them, then write the batch, its issues and the new
 * checkpoint in ONE transaction. A kill loses at most the batch in flight, which the next run redoes;
 * a finished step is never read again, so a re-run imports nothing twice.
 */

export interface Issue { key: string, kind: 'skipped' | 'changed', reason: string }

/** 主题分类 as luntan keeps them: each board's labels in order, the label each Discuz typeid became, the changes per board. */
export interface ThreadTypeLabels { byBoard: Map<number, string[]>, byType: Map<number, { fid: number, label: string }>, issues: Map<number, Issue[]> }

export interface BatchPlan {
  imported: number
  issues: Issue[]
  write: (trx: Knex.Transaction) => Promise<void>
}

export interface ImportContext {
  src: DiscuzSource
  db: Knex
  dryRun: boolean
  now: number
  attachmentsDir: string | null
  avatarsDir: string | null
  uploadsDir: string
  storeAvatar: ((uid: number, bytes: Buffer) => Promise<void>) | null
  /** Ids present in luntan (imported earlier or in this run): what later steps may point to. */
  ids: { users: Set<number>, categories: Set<number>, articles: Set<number>, boards: Set<number>, threads: Set<number> }
  usernameKeys: Set<string>
  usernameSkeletons: Set<string>
  emailKeys: Set<string>
  /** The lowest-uid admin: the moderator of a ban whose Discuz operator was not imported. */
  fallbackModerator: number | null
  clickSlots: ClickSlots | null
  /** forum_threadclass as labels, read by the first step that needs it (steps/forum.ts). */
  threadTypes: ThreadTypeLabels | null
  /** forum_post and the forum_post_N tables threads point to (steps/forum.ts), read once. */
  postTables: string[] | null
}

export interface Step<R> {
  name: string
  /** How many source rows there are (the progress bar's total). */
  count: (ctx: ImportContext) => Promise<number>
  read: (ctx: ImportContext, after: string, limit: number) => Promise<R[]>
  keyOf: (row: R) => string
  map: (ctx: ImportContext, rows: R[]) => Promise<BatchPlan>
  /** Batch size for this step when the source rows are big or few (default: --batch). */
  batch?: number
}

export interface StepReport {
  step: string
  read: number
  imported: number
  skipped: number
  changed: number
  /** skip/change reasons with their counts, for the summary */
  reasons: Map<string, number>
  seconds: number
  alreadyDone: boolean
}

export type Progress = (step: string, done: number, total: number) => void

interface CheckpointRow { step: string, last_key: string, rows_read: number, rows_imported: number, rows_skipped: number, finished_at: number | null }

/** Why a batch is interrupted in tests: a kill mid-import, between the writes and the commit. */
export class ImportInterrupted extends Error {}

export async function runStep<R> (ctx: ImportContext, step: Step<R>, batch: number, progress: Progress, failAfterBatches?: number): Promise<StepReport> {
  const started = Date.now()
  const saved = ctx.dryRun ? undefined : await ctx.db<CheckpointRow>('discuz_import_checkpoints').where({ step: step.name }).first()
  const report: StepReport = { step: step.name, read: saved?.rows_read ?? 0, imported: saved?.rows_imported ?? 0, skipped: saved?.rows_skipped ?? 0, changed: 0, reasons: new Map(), seconds: 0, alreadyDone: saved?.finished_at != null }
  if (report.alreadyDone) return report
  const total = await step.count(ctx)
  let after = saved?.last_key ?? ''
  let batches = 0
  const size = step.batch ?? batch
  progress(step.name, report.read, total)
  // Batch N+1 is read and mapped (Node's CPU: BBCode, names) while batch N is written (the database's
  // CPU): on two cores the posts step's parse and insert overlap instead of taking turns. Maps still run
  // one after another in key order, so what a map adds to ctx (ids, name keys) is seen by the next one.
  const prepare = async (from: string): Promise<{ rows: R[], plan: BatchPlan | null }> => {
    const rows = await step.read(ctx, from, size)
    return { rows, plan: rows.length === 0 ? null : await step.map(ctx, rows) }
  }
  let current = await prepare(after)
  for (;;) {
    const { rows, plan } = current
    const last = rows[rows.length - 1]
    if (last === undefined || plan === null) break
    after = step.keyOf(last)
    const next = rows.length < size ? null : prepare(after)
    // A failed write must not leave the next batch's read running against a source that is being closed.
    next?.catch(() => {})
    const skipped = plan.issues.filter((i) => i.kind === 'skipped').length
    report.read += rows.length
    report.imported += plan.imported
    report.skipped += skipped
    report.changed += plan.issues.length - skipped
    for (const issue of plan.issues) {
      const reason = `${issue.kind === 'skipped' ? '跳过' : '改动'}: ${issue.reason.replace(/\d+/g, 'N')}`
      report.reasons.set(reason, (report.reasons.get(reason) ?? 0) + 1)
    }
    if (!ctx.dryRun) {
      const checkpoint = { step: step.name, last_key: after, rows_read: report.read, rows_imported: report.imported, rows_skipped: report.skipped, finished_at: null, updated_at: ctx.now }
      try {
        await ctx.db.transaction(async (trx) => {
          await plan.write(trx)
          for (let i = 0; i < plan.issues.length; i += 500) {
            await trx('discuz_import_issues').insert(plan.issues.slice(i, i + 500).map((x) => ({ step: step.name, source_key: x.key.slice(0, 64), kind: x.kind, reason: x.reason.slice(0, 255) })))
          }
          await trx('discuz_import_checkpoints').insert(checkpoint).onConflict('step').merge()
          batches++
          if (failAfterBatches !== undefined && batches >= failAfterBatches) throw new ImportInterrupted(`interrupted in ${step.name}`)
        })
      } catch (err) {
        await next?.catch(() => {})
        throw err
      }
    }
    progress(step.name, Math.min(report.read, total), total)
    if (next === null) break
    current = await next
  }
  if (!ctx.dryRun) {
    await ctx.db('discuz_import_checkpoints').insert({ step: step.name, last_key: after, rows_read: report.read, rows_imported: report.imported, rows_skipped: report.skipped, finished_at: ctx.now, updated_at: ctx.now })
      .onConflict('step').merge()
  }
  progress(step.name, total, total)
  report.seconds = (Date.now() - started) / 1000
  return report
}

/** Rows in chunks small enough for any placeholder limit (MySQL 65535, SQLite 32766). */
export async function insertChunks (trx: Knex.Transaction, table: string, rows: Array<Record<string, unknown>>, chunk = 400): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await trx(table).insert(rows.slice(i, i + chunk))
}

/** A numeric checkpoint key ('' = from the start). */
export const afterId = (after: string): number => after === '' ? 0 : Number(after)

export async function countOf (q: Knex.QueryBuilder): Promise<number> {
  const row: { n: number | string } | undefined = await q.count<Array<{ n: number | string }>>({ n: '*' }).first()
  return Number(row?.n ?? 0)
}
