import type { CliCommands } from '../../cli/command'
import { migrationConfig } from '../../db/knex'
import { type DiscuzImportSummary, runDiscuzImport, targetState } from './service'
import { openDiscuzSource } from './source'
import { avatarsForImport } from '../avatars'

function progressBar (): (step: string, done: number, total: number) => void {
  let lastLine = ''
  let lastStep = ''
  return (step, done, total) => {
    if (step !== lastStep && lastStep !== '') process.stderr.write('\n')
    lastStep = step
    const width = 30
    const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width))
    const line = `${step.padEnd(16)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
    if (line !== lastLine) process.stderr.write(`\r${line}`)
    lastLine = line
  }
}

export function formatSummary (s: DiscuzImportSummary): string {
  const lines = ['', 'step              read  imported  skipped  changed  seconds']
  for (const st of s.steps) {
    lines.push(`${st.step.padEnd(16)} ${String(st.read).padStart(6)} ${String(st.imported).padStart(9)} ${String(st.skipped).padStart(8)} ${String(st.changed).padStart(8)} ${st.alreadyDone ? '   (done earlier)' : st.seconds.toFixed(1).padStart(8)}`)
  }
  // Reasons with their ids folded (`作者 uid N 未导入`), so a thousand of one kind is one line.
  const folded = new Map<string, number>()
  for (const i of s.issues) {
    const key = `${i.step} ${i.kind === 'skipped' ? '跳过' : '改动'}: ${i.reason.replace(/\d+/g, 'N')}`
    folded.set(key, (folded.get(key) ?? 0) + i.n)
  }
  if (folded.size > 0) {
    lines.push('', 'skipped / changed (every row is listed in the discuz_import_issues table):')
    for (const [reason, n] of [...folded].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(7)}  ${reason}`)
  }
  for (const note of s.notes) lines.push(`note: ${note}`)
  lines.push(`total ${s.seconds.toFixed(1)} s`)
  return lines.join('\n')
}

export const discuzImportCommands: CliCommands = {
  'import:discuz': {
    summary: 'import a Discuz! X3.4/X3.5 site: --from mysql://… [--prefix pre_] [--uc-prefix pre_ucenter_] [--attachments DIR] [--avatars DIR] [--batch 5000] [--dry-run] [--resume]',
    options: {
      from: { type: 'string' },
      prefix: { type: 'string' },
      'uc-prefix': { type: 'string' },
      attachments: { type: 'string' },
      avatars: { type: 'string' },
      batch: { type: 'string' },
      'dry-run': { type: 'boolean' },
      resume: { type: 'boolean' }
    },
    async run ({ knex, config, flags }) {
      if (typeof flags.from !== 'string') {
        console.error('--from mysql://user:pass@host:3306/discuz is required')
        return 2
      }
      const batchRaw = typeof flags.batch === 'string' ? flags.batch : '5000'
      if (!/^\d{2,6}$/.test(batchRaw) || Number(batchRaw) < 10) {
        console.error('--batch must be a whole number from 10 to 999999')
        return 2
      }
      const prefix = typeof flags.prefix === 'string' ? flags.prefix : 'pre_'
      const ucPrefix = typeof flags['uc-prefix'] === 'string' ? flags['uc-prefix'] : `${prefix}ucenter_`
      await knex.migrate.latest(migrationConfig)
      const state = await targetState(knex)
      if (state === 'foreign') {
        console.error('the luntan database already has content that no import wrote: import into an empty database')
        return 1
      }
      if (state === 'imported' && flags.resume !== true && flags['dry-run'] !== true) {
        console.error('an import has already run into this database: add --resume to continue it (finished tables are not read again)')
        return 1
      }
      const source = openDiscuzSource(flags.from, prefix, ucPrefix)
      const avatars = avatarsForImport(knex, config.uploadsDir)
      try {
        const summary = await runDiscuzImport({
          source,
          db: knex,
          batch: Number(batchRaw),
          dryRun: flags['dry-run'] === true,
          now: Math.floor(Date.now() / 1000),
          uploadsDir: config.uploadsDir,
          attachmentsDir: typeof flags.attachments === 'string' ? flags.attachments : null,
          avatarsDir: typeof flags.avatars === 'string' ? flags.avatars : null,
          // The same path as /settings/avatar: bytes checked, cropped, three sizes in the upload storage.
          storeAvatar: async (uid, bytes) => { await avatars.setFromImage(uid, bytes) },
          progress: progressBar()
        })
        process.stderr.write('\n')
        console.log(formatSummary(summary))
        return 0
      } finally {
        await source.close()
      }
    }
  }
}
