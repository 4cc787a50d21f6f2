import type { Knex } from 'knex'

// Issue 20, first half: the mail outbox (mails written in the caller's transaction, sent after commit by
// every process's sender loop), the single-use account links (找回密码, e-mail verification; only a hash of
// each token is stored), the captcha signatures already used (replays refused until they expire), and
// users.email_verified_at. No app code here.

function utf8mb4 (knex: Knex, t: Knex.CreateTableBuilder): void {
  if (knex.client.config.client === 'mysql2' || knex.client.config.client === 'mysql') {
    t.charset('utf8mb4')
    t.collate('utf8mb4_unicode_ci')
  }
}

export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    t.string('to_address', 320).notNullable()
    t.string('subject', 300).notNullable()
    t.text('text_body', 'mediumtext').notNullable()
    t.text('html_body', 'mediumtext').nullable()
    // 'pending' (to send), 'sent', 'failed' (gave up after the last retry).
    t.string('status', 10).notNullable().defaultTo('pending')
    t.integer('attempts').unsigned().notNullable().defaultTo(0)
    // Unix seconds: not sent before this (the retry backoff).
    t.integer('next_attempt_at').unsigned().notNullable()
    // A process claims a row until this time (Unix seconds) with a conditional UPDATE: only one wins it.
    t.integer('claimed_until').unsigned().notNullable().defaultTo(0)
    t.string('claimed_by', 40).nullable()
    t.string('last_error', 500).notNullable().defaultTo('')
    t.integer('created_at').unsigned().notNullable()
    t.integer('sent_at').unsigned().nullable()
    // The sender's query: pending rows due now, oldest first; the bound counts pending rows with it too.
    t.index(['status', 'next_attempt_at'], 'mail_outbox_status_next_index')
  })

  await knex.schema.createTable('account_tokens', (t) => {
    utf8mb4(knex, t)
    t.increments('id').primary()
    // Plain indexed column (users rows are never deleted by the app; a token of a gone user finds no user).
    t.integer('user_id').unsigned().notNullable().index('account_tokens_user_index')
    // 'reset' (找回密码) or 'verify' (e-mail verification).
    t.string('purpose', 10).notNullable()
    // SHA-256 hex of the random token sent in the link: a leaked table gives no working link.
    t.string('token_hash', 64).notNullable().unique()
    // The address the link was sent to: verification confirms this address only (an e-mail change voids it).
    t.string('email', 320).notNullable()
    t.integer('created_at').unsigned().notNullable()
    t.integer('expires_at').unsigned().notNullable()
    t.integer('used_at').unsigned().nullable()
  })

  await knex.schema.createTable('captcha_used', (t) => {
    utf8mb4(knex, t)
    // SHA-256 hex of a solved challenge's signature: the primary key refuses the second use.
    t.string('signature_hash', 64).primary()
    t.integer('expires_at').unsigned().notNullable().index('captcha_used_expires_index')
  })

  await knex.schema.alterTable('users', (t) => {
    // Unix seconds the current address was confirmed; null = not verified.
    t.integer('email_verified_at').unsigned().nullable()
  })
  // Accounts made before verification existed are taken as verified: turning the setting on must not
  // silence every existing member.
  await knex('users').update({ email_verified_at: knex.ref('created_at') })
}

export async function down (knex: Knex): Promise<void> {
  // Drops unsent mail, open reset/verification links, and which addresses were verified.
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_verified_at')
  })
  await knex.schema.dropTable('captcha_used')
  await knex.schema.dropTable('account_tokens')
  await knex.schema.dropTable('mail_outbox')
}
