import type { Knex } from 'knex'
import { parseClickSlots } from '../../lib/discuz-click-slots'
import { usernameKey } from '../../lib/username-skeleton'
import { runStep, type ImportContext, type Progress, type Step, type StepReport } from './runner'
import type { DiscuzSource } from './source'
import { bansStep, crimesStep, membersStep } from './steps/members'
import { articlesStep, categoriesStep, commentsStep, reactionsStep } from './steps/portal'
import { boardsStep, postsStep, threadsStep } from './steps/forum'
import { boardModeratorsStep } from './steps/moderators'
import { signaturesStep } from './steps/signatures'
import { avatarsStep, forumAttachmentsStep, portalAttachmentsStep, settingsStep, wordsStep } from './steps/site'
import { articleCountersStep, boardCountersStep, memberCountersStep, threadCountersStep } from './steps/counters'

/**
 * import:discuz: the steps in dependency order (members before anything they wrote, boards before
 * threads before posts), each resumable on its own checkpoint. Writes go to luntan's tables directly:
 * the one place allowed to, because an import of a million rows cannot go through per-row services;
 * the rules it must keep (password formats, name keys, word keys, render columns) come from src/lib.
 */

export interface DiscuzImportOptions {
  source: DiscuzSource
  db: Knex
  batch: number
  dryRun: boolean
  now: number
  uploadsDir: string
  attachmentsDir?: string | null
  avatarsDir?: string | null
  storeAvatar?: ((uid: number, bytes: Buffer) => Promise<void>) | null
  progress?: Progress
  /** Tests: interrupt (as a kill would) inside the Nth committed-to-be batch of this step. */
  failAt?: { step: string, afterBatches: number }
}

export interface DiscuzImportSummary {
  steps: StepReport[]
  /** skip/change reasons with counts over the whole import (this run and any earlier one) */
  issues: Array<{ step: string, kind: string, reason: string, n: number }>
  notes: string[]
  seconds: number
}

/**
 * A step with its row type kept inside: the list below holds steps of different row types, and each is
 * run through runStep with its own (no cast that erases what a step reads and maps).
 */
interface PlannedStep {
  name: string
  run: (ctx: ImportContext, batch: number, progress: Progress, failAfterBatches?: number) => Promise<StepReport>
}

function planned<R> (step: Step<R>): PlannedStep {
  return { name: step.name, run: async (ctx, batch, progress, failAfterBatches) => await runStep(ctx, step, batch, progress, failAfterBatches) }
}

const IMPORT_STEPS: PlannedStep[] = [planned(settingsStep), planned(wordsStep), planned(membersStep), planned(signaturesStep), planned(bansStep),
  planned(crimesStep), planned(categoriesStep), planned(articlesStep), planned(commentsStep), planned(reactionsStep), planned(boardsStep),
  planned(boardModeratorsStep), planned(threadsStep), planned(postsStep), planned(forumAttachmentsStep), planned(portalAttachmentsStep), planned(avatarsStep)]
const COUNTER_STEPS: PlannedStep[] = [planned(articleCountersStep), planned(threadCountersStep), planned(boardCountersStep), planned(memberCountersStep)]

/** Whether luntan's database holds content that an import did not write (then the import refuses). */
export async function targetState (db: Knex): Promise<'empty' | 'imported' | 'foreign'> {
  const started = await db('discuz_import_checkpoints').first('step')
  if (started !== undefined) return 'imported'
  const hasRows = async (table: string): Promise<boolean> => (await db(table).first()) !== undefined
  for (const table of ['users', 'articles', 'threads', 'categories', 'boards']) if (await hasRows(table)) return 'foreign'
  return 'empty'
}

async function loadIds (db: Knex, table: string): Promise<Set<number>> {
  const out = new Set<number>()
  let after = 0
  for (;;) {
    const ids = await db(table).where('id', '>', after).orderBy('id').limit(50000).pluck<number[]>('id')
    for (const id of ids) out.add(Number(id))
    const last = ids[ids.length - 1]
    if (last === undefined || ids.length < 50000) return out
    after = Number(last)
  }
}

export async function runDiscuzImport (o: DiscuzImportOptions): Promise<DiscuzImportSummary> {
  const started = Date.now()
  const notes: string[] = []
  const users = await loadIds(o.db, 'users')
  const ctx: ImportContext = {
    src: o.source,
    db: o.db,
    dryRun: o.dryRun,
    now: o.now,
    attachmentsDir: o.attachmentsDir ?? null,
    avatarsDir: o.avatarsDir ?? null,
    uploadsDir: o.uploadsDir,
    storeAvatar: o.storeAvatar ?? null,
    ids: { users, categories: await loadIds(o.db, 'categories'), articles: await loadIds(o.db, 'articles'), boards: await loadIds(o.db, 'boards'), threads: await loadIds(o.db, 'threads') },
    usernameKeys: new Set(), usernameSkeletons: new Set(), emailKeys: new Set(),
    fallbackModerator: null,
    clickSlots: null,
    threadTypes: null,
    postTables: null
  }
  // Names already taken in luntan (an earlier, interrupted run): the renaming rules see them.
  for (const u of await o.db('users').select<Array<{ id: number, username_key: string, username_skeleton: string | null, email_key: string, role: string }>>('id', 'username_key', 'username_skeleton', 'email_key', 'role').orderBy('id')) {
    ctx.usernameKeys.add(u.username_key)
    if (u.username_skeleton !== null) ctx.usernameSkeletons.add(u.username_skeleton)
    ctx.emailKeys.add(usernameKey(u.email_key))
    if (ctx.fallbackModerator === null && u.role === 'admin') ctx.fallbackModerator = u.id
  }
  const cache = await o.source.db(o.source.table('common_syscache')).where({ cname: 'click' }).first<{ data: string | Buffer } | undefined>('data')
  if (cache === undefined) notes.push('common_syscache 中没有 click 缓存：文章表态无法按名称对应，未导入')
  else {
    ctx.clickSlots = parseClickSlots(cache.data)
    for (const u of ctx.clickSlots.unknown) notes.push(`表态位置 ${u.slot}（${u.name}）不是路过/雷人/握手/鲜花/鸡蛋之一：其计数未导入`)
  }
  if (o.attachmentsDir == null) notes.push('未给出 --attachments：附件文件未复制（帖子里的链接已写好，复制后即可访问）')
  if (o.avatarsDir != null && o.storeAvatar == null) notes.push('--avatars：本版本尚未接入头像功能，头像未导入')

  const progress = o.progress ?? (() => {})
  const steps: StepReport[] = []
  for (const step of [...IMPORT_STEPS, ...(o.dryRun ? [] : COUNTER_STEPS)]) {
    const failAfter = o.failAt?.step === step.name ? o.failAt.afterBatches : undefined
    steps.push(await step.run(ctx, o.batch, progress, failAfter))
  }
  if (o.dryRun) notes.push('--dry-run：未写入任何数据；计数核对在正式导入时进行')
  const issues = o.dryRun
    ? steps.flatMap((s) => [...s.reasons].map(([reason, n]) => ({ step: s.step, kind: reason.startsWith('跳过') ? 'skipped' : 'changed', reason: reason.replace(/^..: /, ''), n })))
    : (await o.db('discuz_import_issues').groupBy('step', 'kind', 'reason').select('step', 'kind', 'reason').count<Array<{ step: string, kind: string, reason: string, n: number | string }>>({ n: '*' }))
        .map((r) => ({ ...r, n: Number(r.n) }))
  return { steps, issues, notes, seconds: (Date.now() - started) / 1000 }
}
