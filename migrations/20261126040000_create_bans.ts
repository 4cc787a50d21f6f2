import type { Knex } from 'knex'

// Ban history (小黑屋): one row per ban a moderator places, never deleted. A lift (early, by a
// moderator) fills lifted_at/lifted_by/lift_reason; an expiry needs no write at all, because every
// reader compares expires_at with the clock. users.ban_type/ban_until/ban_reason mirror the open
// ban (same transaction) as the fast path the auth plugin reads on every request.
//
// Why these indexes: the darkroom lists "open bans, newest first". Closed bans are the bulk of a
// long history, so an index on (lifted_at, id) lets both MySQL and SQLite walk only the rows with
// lifted_at IS NULL, already in id order, and stop after a page. The service keeps at most one open
// ban per member (a new ban closes the previous one) and closes expired open bans when it writes
// (setting lifted_at = expires_at, lifted_by NULL), so the expired rows that this walk has to skip
// stay few; (lifted_at, expires_at) serves that sweep. (user_id, id) finds a member's bans.

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('bans', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users')
    t.string('type', 8).notNullable() // post (禁止发言) | visit (禁止访问)
    t.string('reason', 255).notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('expires_at').unsigned().nullable() // null = permanent
    t.integer('moderator_id').unsigned().notNullable().references('id').inTable('users')
    t.integer('lifted_at').unsigned().nullable()
    t.integer('lifted_by').unsigned().nullable().references('id').inTable('users') // null with lifted_at = expired
    t.string('lift_reason', 255).nullable()
    t.index(['lifted_at', 'id'], 'bans_open_newest')
    t.index(['lifted_at', 'expires_at'], 'bans_open_expiry')
    t.index(['user_id', 'id'], 'bans_user')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('bans')
}
