import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../src/config'
import { createKnex, migrationConfig } from '../src/db/knex'
import { seedDemo } from '../src/seeds/demo'
import { seedBulk, type BulkCounts } from '../src/db/bulk-seed'
import type { CliCommand, CliCommands, CliFlags } from '../src/cli/command'
import { BULK_GENERATORS } from './bulk-generators'
import { memberCommands } from '../src/features/members/cli'
import { commentCommands } from '../src/features/comments/cli'
import { reactionCommands } from '../src/features/reactions/cli'
import { forumCommands } from '../src/features/forum/cli'
import { portalCommands } from '../src/features/portal/cli'
import { searchCommands } from '../src/features/search'
import { articleSearchSource } from '../src/features/portal'
import { forumSearchSources } from '../src/features/forum'
import { backupCommands } from '../src/cli/backup'
import { discuzImportCommands } from '../src/features/discuz-import/cli'

/**
 * `npm run cli -- <command> [--flag value ...]`. Each feature exports its commands
 * (src/features/<feature>/cli.ts, typed by src/cli/command.ts) and they are listed in COMMANDS below;
 * a command declares its flags, gets them parsed by node:util parseArgs (an unknown or malformed flag
 * is refused before anything runs), a Knex handle on DATABASE_URL and the config, and returns an exit code.
 */

const coreCommands: CliCommands = {
  migrate: {
    summary: 'run every pending migration',
    async run ({ knex }) {
      const [batch, files] = await knex.migrate.latest(migrationConfig) as [number, string[]]
      console.log(files.length === 0 ? 'already up to date' : `batch ${batch}: ${files.join(', ')}`)
      return 0
    }
  },
  'migrate:rollback': {
    summary: 'undo the last batch of migrations (--all: every batch); drops data, so it needs --yes',
    options: { yes: { type: 'boolean' }, all: { type: 'boolean' } },
    async run ({ knex, flags }) {
      // Destructive: a `down` drops tables with their rows, so a typo must not cost a site its data.
      if (flags.yes !== true) {
        console.error('migrate:rollback drops tables and their data: run it again with --yes to confirm')
        return 1
      }
      const [batch, files] = await knex.migrate.rollback(migrationConfig, flags.all === true) as [number, string[]]
      console.log(files.length === 0 ? 'nothing to roll back' : `rolled back batch ${batch}: ${files.join(', ')}`)
      return 0
    }
  },
  'seed:demo': {
    summary: 'fill an empty database with the demo site (prints the admin password)',
    async run ({ knex, config }) {
      await knex.migrate.latest(migrationConfig)
      const admin = await seedDemo(knex, config)
      if (admin === null) {
        console.error('the database already has members: demo content is only seeded into an empty site')
        return 1
      }
      console.log(`demo seeded; admin "${admin.username}" password "${admin.password}"`)
      return 0
    }
  }
}

const BULK_FLAGS: ReadonlyArray<keyof BulkCounts> = ['members', 'articles', 'comments', 'threads', 'posts', 'bans']

const bulkCommands: CliCommands = {
  'seed:bulk': {
    summary: 'add synthetic data: --members N --articles N --comments N --threads N --posts N --bans N',
    options: Object.fromEntries(BULK_FLAGS.map((name) => [name, { type: 'string' as const }])),
    async run ({ knex, flags }) {
      const counts: BulkCounts = { members: 0, articles: 0, comments: 0, threads: 0, posts: 0, bans: 0 }
      for (const name of BULK_FLAGS) {
        const raw = flags[name]
        if (raw === undefined) continue
        if (typeof raw !== 'string' || !/^\d{1,8}$/.test(raw)) {
          console.error(`--${name} must be a whole number`)
          return 2
        }
        counts[name] = Number(raw)
      }
      await knex.migrate.latest(migrationConfig)
      const started = Date.now()
      let lastLine = ''
      await seedBulk(knex, counts, BULK_GENERATORS, (label, done, total) => {
        const width = 30
        const filled = total === 0 ? width : Math.round((done / total) * width)
        const line = `${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
        if (line !== lastLine) process.stderr.write(`\r${line}`)
        if (done >= total) process.stderr.write('\n')
        lastLine = line
      })
      console.log(`seeded ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return 0
    }
  }
}

const COMMANDS: CliCommands = { ...coreCommands, ...bulkCommands, ...memberCommands, ...commentCommands, ...reactionCommands, ...forumCommands, ...portalCommands, ...searchCommands([articleSearchSource(), ...forumSearchSources()]), ...backupCommands, ...discuzImportCommands }

/** The command's flags, parsed strictly: an undeclared flag or a missing value is a usage error. */
export function parseFlags (command: CliCommand, args: string[]): CliFlags {
  return parseCommandLine(command, args).flags
}

/** Flags and positional arguments: exactly the positionals the command names, no more, no fewer. */
export function parseCommandLine (command: CliCommand, args: string[]): { flags: CliFlags, args: string[] } {
  try {
    const names = command.positionals ?? []
    const { values, positionals } = parseArgs({ args, options: command.options ?? {}, strict: true, allowPositionals: names.length > 0 })
    if (positionals.length !== names.length) throw new ConfigError(`expected ${names.map((n) => `<${n}>`).join(' ')}`)
    const flags: Record<string, string | boolean | undefined> = {}
    // No command declares a `multiple` flag, so a value is never an array; say so if one ever does.
    for (const [name, value] of Object.entries(values)) {
      if (Array.isArray(value)) throw new ConfigError(`--${name} may be given once`)
      flags[name] = value
    }
    return { flags, args: positionals }
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(err instanceof Error ? err.message : String(err))
  }
}

function usage (): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`)
  return `usage: npm run cli -- <command> [--flag value ...]\n\ncommands:\n${lines.join('\n')}`
}

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const command = name === undefined ? undefined : COMMANDS[name]
  if (command === undefined) {
    console.error(name === undefined ? usage() : `unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  const config = loadConfig()
  const { flags, args } = parseCommandLine(command, rest)
  const knex = createKnex(config.database)
  try {
    return await command.run({ knex, config, flags, args })
  } finally {
    await knex.destroy()
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  console.error(err instanceof ConfigError ? `error: ${err.message}` : err)
  process.exitCode = 1
})
