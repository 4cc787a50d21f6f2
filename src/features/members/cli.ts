import type { CliCommands } from '../../cli/command'
import { systemClock } from '../../lib/clock'
import { FormError, membersService } from './service'
import { validateRole, validationMessages } from './validation'

function printFormErrors (err: FormError): void {
  for (const [field, message] of Object.entries(err.fields)) console.error(`--${field}: ${message}`)
}

/** Member commands of `npm run cli`: the same rules as the web forms (service.ts + validation.ts). */
export const memberCommands: CliCommands = {
  'user:create': {
    summary: 'create a member: --username U --password P [--email E] [--role admin|moderator|editor|member]',
    options: { username: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } },
    async run ({ knex, config, flags }) {
      const username = flags.username
      const password = flags.password
      if (typeof username !== 'string' || typeof password !== 'string') {
        console.error('--username and --password are required')
        return 2
      }
      const role = validateRole(typeof flags.role === 'string' ? flags.role : 'member')
      if (role === null) {
        console.error(`--role: ${validationMessages.roleInvalid}`)
        return 2
      }
      // Without --email a placeholder that can never receive mail (.invalid is reserved by RFC 2606).
      const email = typeof flags.email === 'string' ? flags.email : `${username.toLowerCase()}@localhost.invalid`
      try {
        const id = await membersService({ db: knex, clock: systemClock, bcryptCost: config.bcryptCost })
          .register({ username, password, password2: password, email }, role)
        console.log(`created ${role} "${username}" (uid ${id})`)
        return 0
      } catch (err) {
        if (!(err instanceof FormError)) throw err
        printFormErrors(err)
        return 1
      }
    }
  },
  'user:role': {
    summary: 'change a member\'s role: --username U --role admin|moderator|editor|member',
    options: { username: { type: 'string' }, role: { type: 'string' } },
    async run ({ knex, config, flags }) {
      const username = flags.username
      const role = validateRole(typeof flags.role === 'string' ? flags.role : '')
      if (typeof username !== 'string') {
        console.error('--username is required')
        return 2
      }
      if (role === null) {
        console.error(`--role: ${validationMessages.roleInvalid}`)
        return 2
      }
      const user = await membersService({ db: knex, clock: systemClock, bcryptCost: config.bcryptCost }).setRole(username, role)
      if (user === null) {
        console.error(`no member named "${username}"`)
        return 1
      }
      console.log(`"${user.username}" (uid ${user.id}) is now ${role} (was ${user.role})`)
      return 0
    }
  }
}
