import { ConfigError, loadConfig, type AppConfig } from '../src/config'
import { createKnex, migrationConfig } from '../src/db/knex'
import type { Knex } from 'knex'
import { seedDemo } from '../src/db/demo-seed'
import { memberCommands } from '../src/features/members/cli'
import { commentCommands } from '../src/features/comments/cli'
import { forumCommands } from '../src/features/forum/cli'

/**
 * `npm run cli -- <command> [--flag value ...]`. Each feature exports its commands
 * (src/features/<feature>/cli.ts) and they are listed in COMMANDS below; a command gets the
 * parsed flags, a Knex handle on DATABASE_URL and the config, and returns an exit code.
 */

export type CliFlags = Readonly<Record<string, string | true>>
export interface CliCommand {
  summary: string
  run: (ctx: { knex: Knex, config: AppConfig, flags: CliFlags }) => Promise<number>
}

const coreCommands: Record<string, CliCommand> = {
  migrate: {
    summary: 'run every pending migration',
    async run ({ knex }) {
      const [batch, files] = await knex.migrate.latest(migrationConfig) as [number, string[]]
      console.log(files.length === 0 ? 'already up to date' : `batch ${batch}: ${files.join(', ')}`)
      return 0
    }
  },
  'migrate:rollback': {
    summary: 'undo the last batch of migrations (--all: every batch)',
    async run ({ knex, flags }) {
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

const COMMANDS: Record<string, CliCommand> = { ...coreCommands, ...memberCommands, ...commentCommands, ...forumCommands }

export function parseFlags (args: readonly string[]): CliFlags {
  const flags: Record<string, string | true> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`)
    const name = arg.slice(2)
    const next = args[i + 1]
    if (next === undefined || next.startsWith('--')) {
      flags[name] = true
    } else {
      flags[name] = next
      i++
    }
  }
  return flags
}

function usage (): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`)
  return `usage: npm run cli -- <command> [--flag value ...]\n\ncommands:\n${lines.join('\n')}`
}

async function main (argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  const command = name === undefined ? undefined : COMMANDS[name]
  if (command === undefined) {
    console.error(name === undefined ? usage() : `unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  const config = loadConfig()
  const flags = parseFlags(rest)
  const knex = createKnex(config.database)
  try {
    return await command.run({ knex, config, flags })
  } finally {
    await knex.destroy()
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  console.error(err instanceof ConfigError ? `error: ${err.message}` : err)
  process.exitCode = 1
})
