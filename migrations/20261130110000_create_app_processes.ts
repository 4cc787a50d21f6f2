import type { Knex } from 'knex'

// The 站点状态 dashboard's process list: each app process (one per cluster worker) upserts its own row
// every few seconds (src/features/site-admin/heartbeat.ts); the dashboard lists rows seen recently, so
// with WORKERS=2 an admin sees both workers, whichever one answers. `recent_errors` is the process's last
// few 5xx errors from its in-memory ring, as bounded JSON (no stacks). The table stays small: a process
// deletes its row when it closes and every beat deletes rows not seen for a day (crashed processes).

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('app_processes', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    // Random per process start: pids repeat across hosts and restarts.
    t.string('id', 32).primary()
    t.integer('pid').unsigned().notNullable()
    t.string('host', 255).notNullable()
    t.string('version', 64).notNullable()
    t.integer('started_at').unsigned().notNullable()
    t.integer('seen_at').unsigned().notNullable()
    t.integer('error_count').unsigned().notNullable().defaultTo(0)
    t.text('recent_errors').notNullable()
    t.index(['seen_at'], 'app_processes_seen')
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('app_processes')
}
