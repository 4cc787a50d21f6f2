import type { Knex } from 'knex'
import type { CliCommands, CliFlags } from '../../cli/command'
import { portalService } from './service'
import { publishingRepository } from './publishing-repository'
import { imageSizeLookup } from '../uploads'

/** The member (by name, any case) and the category (by id or exact name) an editor:grant / editor:revoke names. */
async function grantTarget (knex: Knex, flags: CliFlags): Promise<{ user: { id: number, username: string, role: string }, category: { id: number, name: string } } | string> {
  const username = flags.username
  const category = flags.category
  if (typeof username !== 'string' || typeof category !== 'string') return '--username and --category are required'
  const user = await knex('users').where('username_key', username.normalize('NFKC').toLowerCase()).first<{ id: number, username: string, role: string } | undefined>('id', 'username', 'role')
  if (user === undefined) return `no member named "${username}"`
  const cat = /^\d+$/.test(category)
    ? await knex('categories').where('id', Number(category)).first<{ id: number, name: string } | undefined>('id', 'name')
    : await knex('categories').where('name', category).first<{ id: number, name: string } | undefined>('id', 'name')
  if (cat === undefined) return `no category "${category}" (give its id or exact name)`
  return { user, category: cat }
}

/** Portal commands of `npm run cli`. */
export const portalCommands: CliCommands = {
  'portal:render': {
    summary: 'render every article body stored without a current render (before stored renders, or after RENDERER_VERSION changed)',
    async run ({ knex }) {
      const rendered = await portalService({ db: knex, nowMs: () => Date.now(), imageSizes: imageSizeLookup(knex) }).renderStale()
      console.log(`rendered ${rendered} article bodies`)
      return 0
    }
  },
  'editor:grant': {
    summary: 'let a member publish in a category (编辑 频道权限): --username U --category <id or name>; a plain member becomes an editor',
    options: { username: { type: 'string' }, category: { type: 'string' } },
    async run ({ knex, flags }) {
      const target = await grantTarget(knex, flags)
      if (typeof target === 'string') { console.error(target); return target.startsWith('--') ? 2 : 1 }
      const added = await publishingRepository(knex).grant(target.user.id, target.category.id, Math.floor(Date.now() / 1000))
      // A grant is what makes an editor: a plain member gets the role with it (moderators and admins keep theirs).
      if (target.user.role === 'member') await knex('users').where({ id: target.user.id }).update({ role: 'editor' })
      console.log(`"${target.user.username}" ${added ? 'may now publish' : 'could already publish'} in "${target.category.name}" (catid ${target.category.id})${target.user.role === 'member' ? '; role is now editor' : ''}`)
      return 0
    }
  },
  'editor:revoke': {
    summary: 'take a category right back: --username U --category <id or name> (the role stays; an editor without categories publishes nothing)',
    options: { username: { type: 'string' }, category: { type: 'string' } },
    async run ({ knex, flags }) {
      const target = await grantTarget(knex, flags)
      if (typeof target === 'string') { console.error(target); return target.startsWith('--') ? 2 : 1 }
      const removed = await publishingRepository(knex).revoke(target.user.id, target.category.id)
      console.log(`"${target.user.username}" ${removed ? 'may no longer publish' : 'had no right to publish'} in "${target.category.name}" (catid ${target.category.id})`)
      return 0
    }
  }
}
