import path from 'node:path'
import type { CliCommands } from './command'
import { BackupError, backupDatabase, restoreDatabase } from '../db/backup'

/**
 * `backup <file>` and `restore <file> [--force]` (src/db/backup.ts). Uploaded pictures are files in
 * UPLOADS_DIR (or the S3 bucket), not rows: they are copied separately (README → Backup).
 */
export const backupCommands: CliCommands = {
  backup: {
    summary: 'write a consistent backup of the database to <file> (SQLite: a database file; MySQL: gzip JSON lines)',
    positionals: ['file'],
    async run ({ knex, args }) {
      const file = path.resolve(args?.[0] ?? '')
      const started = Date.now()
      const s = await backupDatabase(knex, file)
      console.log(`backup written to ${s.file} (${s.kind}): ${s.tables} tables, ${s.rows} rows, schema ${s.migration ?? '(none)'}, in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      console.log('uploaded pictures are not in it: copy UPLOADS_DIR (or the S3 bucket) as well')
      return 0
    }
  },
  restore: {
    summary: 'restore <file> into the (empty) database; --force replaces a database that has members. Stop the app first',
    positionals: ['file'],
    options: { force: { type: 'boolean' } },
    async run ({ knex, args, flags }) {
      const file = path.resolve(args?.[0] ?? '')
      try {
        const s = await restoreDatabase(knex, file, { force: flags.force === true })
        console.log(`restored ${s.rows} rows into ${s.tables} tables (schema ${s.migration ?? '(none)'})${s.migratedAfter.length > 0 ? `, then migrated: ${s.migratedAfter.join(', ')}` : ''}`)
        return 0
      } catch (err) {
        if (!(err instanceof BackupError)) throw err
        console.error(`restore refused: ${err.message}`)
        return 1
      }
    }
  }
}
