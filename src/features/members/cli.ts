import type { CliCommand } from '../../../scripts/cli'
import { isRole } from '../../lib/permissions'
import { hashPassword } from './password'
import { usersRepository } from './repository'

/** Member commands of `npm run cli`. */
export const memberCommands: Record<string, CliCommand> = {
  'user:create': {
    summary: 'create a member: --username U --password P [--email E] [--role admin|moderator|member]',
    async run ({ knex, config, flags }) {
      const username = flags.username
      const password = flags.password
      const role = flags.role ?? 'member'
      if (typeof username !== 'string' || typeof password !== 'string') {
        console.error('--username and --password are required')
        return 2
      }
      if (!isRole(role)) {
        console.error('--role must be admin, moderator or member')
        return 2
      }
      const email = typeof flags.email === 'string' ? flags.email : `${username.toLowerCase()}@localhost.invalid`
      const id = await usersRepository(knex).insert({
        username, email, role, passwordHash: await hashPassword(password, config.bcryptCost), createdAt: Math.floor(Date.now() / 1000)
      })
      console.log(`created ${role} "${username}" (uid ${id})`)
      return 0
    }
  }
}
