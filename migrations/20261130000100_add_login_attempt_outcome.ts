import type { Knex } from 'knex'

// A login attempt is written before its password is checked (so parallel guesses are counted), which
// leaves two kinds of rows: failures, and attempts still being checked. `failed` tells them apart, so
// a lock by 5 failures answers at once while attempts merely in flight (several members behind one NAT
// logging in together) are waited for rather than refused. Rows from before this migration were all
// failures: the default says so for them; the app writes false and sets true after a wrong password.
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('login_attempts', (t) => {
    t.boolean('failed').notNullable().defaultTo(true)
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('login_attempts', (t) => {
    t.dropColumn('failed')
  })
}
