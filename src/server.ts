import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app'
import { ConfigError, loadConfig, type AppConfig } from './config'
import { createKnex } from './db/knex'
import { prepareDatabase } from './seeds/prepare'
import type { FirstRunAdmin } from './seeds/demo'
import { firstRunBanner } from './lib/first-run-banner'

/**
 * The process: read config, migrate and seed (primary only), then listen; with WORKERS=N,
 * N node:cluster workers share the port. SIGINT/SIGTERM drain: stop accepting, flush
 * buffered view counts (onClose hooks), close the database pool.
 */

/**
 * How long a drain may take before the process exits anyway: open keep-alive sockets and a last view
 * count flush finish well within it, and a hung database must not keep a deploy waiting.
 */
export const SHUTDOWN_DEADLINE_MS = 10_000

/** Listens; resolves with the address once the server accepts connections (and has logged so). */
async function startWorker (config: AppConfig): Promise<string> {
  const app = await buildApp(config)
  // close-with-grace: on SIGINT/SIGTERM (or an uncaught error) app.close() drains (the onClose hooks flush
  // the buffered view counts and close the pool); past the deadline the process exits with code 1.
  closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  return await app.listen({ port: config.port, host: config.host })
}

/** The address to show: 0.0.0.0 / :: are not addresses a browser can open. */
function siteUrl (listening: string): string {
  const u = new URL(listening)
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1'
  return u.toString()
}

async function main (): Promise<void> {
  let config: AppConfig
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`配置错误 (configuration error): ${err.message}`)
      process.exit(1)
    }
    throw err
  }

  if (!cluster.isPrimary) {
    const address = await startWorker(config)
    // Tells the primary this worker has listened (and logged so), so it prints the summary after.
    process.send?.({ luntanListening: address })
    return
  }

  const knex = createKnex(config.database)
  let firstRun: FirstRunAdmin | null
  try {
    firstRun = await prepareDatabase(knex, config)
  } finally {
    await knex.destroy()
  }

  let listening: string
  if (config.workers > 1) {
    listening = await new Promise<string>((resolve) => {
      let ready = 0
      for (let i = 0; i < config.workers; i++) {
        const worker = cluster.fork()
        worker.on('message', (message: { luntanListening?: string }) => {
          if (typeof message.luntanListening === 'string' && ++ready === config.workers) resolve(message.luntanListening)
        })
      }
    })
    cluster.on('exit', (worker, code, signal) => {
      if (signal !== 'SIGINT' && signal !== 'SIGTERM' && code !== 0) {
        console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`)
        cluster.fork()
      }
    })
    const stop = (): void => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  } else {
    listening = await startWorker(config)
  }

  // Last, after the listening lines: the one-time admin password must not scroll away among log lines.
  const url = siteUrl(listening)
  console.log(`luntan 运行于 ${url} (${config.database.client}, ${config.workers} 个进程)`)
  if (firstRun !== null) console.log(firstRunBanner(firstRun, url))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
