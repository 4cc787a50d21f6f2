import type { Knex } from 'knex'

// 用户管理 (issue 18): an admin can lock an account and make a member set a new password at next login;
// 禁止 IP: addresses and CIDR ranges refused at the edge. Also the index the member search by IP hash
// uses (comments.ip_hash: the address a comment was written from, keyed-hashed). No app code here.

function utf8mb4 (knex: Knex, t: Knex.CreateTableBuilder): void {
  if (knex.client.config.client === 'mysql2' || knex.client.config.client === 'mysql') {
    t.charset('utf8mb4')
    t.collate('utf8mb4_unicode_ci')
  }
}

export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('must_change_password').notNullable().defaultTo(false)
    // Unix seconds the account was locked at; null = not locked.
    t.integer('locked_at').unsigned().nullable()
    t.string('lock_reason', 200).notNullable().defaultTo('')
  })
  await knex.schema.alterTable('comments', (t) => {
    t.index(['ip_hash', 'author_id'], 'comments_ip_hash_author_index')
  })
  await knex.schema.createTable('ip_bans', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    // An address or a CIDR as the admin typed it after validation (src/lib/ip-ranges.ts): 203.0.113.0/24, 2001:db8::/32.
    t.string('range', 64).notNullable().unique()
    t.string('reason', 200).notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('created_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
    // Unix seconds; null = for ever. Expired rows stay (the list shows them) and stop matching by themselves.
    t.integer('expires_at').unsigned().nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  // Drops the IP bans and the lock/must-change flags: locked accounts become usable again.
  await knex.schema.dropTable('ip_bans')
  await knex.schema.alterTable('comments', (t) => {
    t.dropIndex(['ip_hash', 'author_id'], 'comments_ip_hash_author_index')
  })
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('lock_reason')
    t.dropColumn('locked_at')
    t.dropColumn('must_change_password')
  })
}
