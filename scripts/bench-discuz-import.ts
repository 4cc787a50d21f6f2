import crypto from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import knexFactory from 'knex'
import { createKnex, migrationConfig } from '../src/db/knex'
import { openDiscuzSource, runDiscuzImport } from '../src/features/discuz-import'
import { createDiscuzDatabase, fillSyntheticDiscuz } from './discuz-fixture'
import { formatSummary } from '../src/features/discuz-import/cli'

/**
 * import:discuz's speed: a synthetic Discuz site (scripts/discuz-fixture.ts) on the MariaDB at
 * BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/test), imported into a fresh luntan database on
 * the same server. `npx tsx scripts/bench-discuz-import.ts --posts 1000000` (members = posts / 20,
 * threads = posts / 10, articles = posts / 100). Both scratch databases are dropped afterwards.
 */

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const posts = Number(args[args.indexOf('--posts') + 1] ?? '100000')
  const batch = Number(args.includes('--batch') ? args[args.indexOf('--batch') + 1] : '5000')
  const base = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
  const adminUrl = new URL(base.toString())
  adminUrl.pathname = '/mysql'
  const admin = knexFactory({ client: 'mysql2', connection: adminUrl.toString(), pool: { min: 0, max: 1 } })
  const suffix = `${process.pid}_${crypto.randomBytes(3).toString('hex')}`
  const sourceName = `bench_discuz_${suffix}`
  const targetName = `bench_luntan_${suffix}`
  const sourceUrl = await createDiscuzDatabase(admin, base.toString(), sourceName)
  await admin.raw(`CREATE DATABASE \`${targetName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  const targetUrl = new URL(base.toString())
  targetUrl.pathname = `/${targetName}`
  try {
    const size = { members: Math.max(10, Math.floor(posts / 20)), threads: Math.max(1, Math.floor(posts / 10)), postsPerThread: 10, articles: Math.max(1, Math.floor(posts / 100)) }
    const fillStarted = Date.now()
    const src = knexFactory({ client: 'mysql2', connection: { uri: sourceUrl, charset: 'utf8mb4' } as never, pool: { min: 0, max: 1 } })
    await fillSyntheticDiscuz(src, size, 'pre_', (label, done, total) => { process.stderr.write(`\rfill ${label} ${done}/${total}   `) })
    await src.destroy()
    console.log(`\nsource filled in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s: ${JSON.stringify(size)} (${size.threads * size.postsPerThread} posts)`)
    const target = createKnex({ client: 'mysql', url: targetUrl.toString() })
    await target.migrate.latest(migrationConfig)
    const source = openDiscuzSource(sourceUrl, 'pre_', 'pre_ucenter_')
    let last = ''
    const summary = await runDiscuzImport({
      source, db: target, batch, dryRun: false, now: Math.floor(Date.now() / 1000), uploadsDir: path.join(os.tmpdir(), 'bench-uploads'),
      progress: (step, done, total) => { const line = `\r${step} ${done}/${total}   `; if (line !== last) process.stderr.write(line); last = line }
    })
    await source.close()
    await target.destroy()
    console.log(formatSummary(summary))
    console.log(`cpus ${os.cpus().length}, load ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`)
  } finally {
    await admin.raw(`DROP DATABASE IF EXISTS \`${sourceName}\``)
    await admin.raw(`DROP DATABASE IF EXISTS \`${targetName}\``)
    await admin.destroy()
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
