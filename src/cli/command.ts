import type { ParseArgsConfig } from 'node:util'
import type { Knex } from 'knex'
import type { AppConfig } from '../config'

/**
 * The shape of a `npm run cli` command. It lives in a module of its own so that features can export
 * commands without importing the CLI entry point (scripts/cli.ts), which imports them: no cycle.
 */

/** Flags as `node:util` parseArgs gives them: a string for `--name value`, true for a bare `--name`. */
export type CliFlags = Readonly<Record<string, string | boolean | undefined>>

export interface CliCommand {
  summary: string
  /** The flags the command takes (parseArgs options); any other flag is refused before `run`. */
  options?: NonNullable<ParseArgsConfig['options']>
  /** Names of the arguments the command takes in order (`backup <file>`); all required. None: positionals are refused. */
  positionals?: readonly string[]
  run: (ctx: { knex: Knex, config: AppConfig, flags: CliFlags, args?: readonly string[] }) => Promise<number>
}

export type CliCommands = Record<string, CliCommand>
