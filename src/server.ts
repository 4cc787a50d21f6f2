import cluster from 'node:cluster'
import { buildApp } from './app'
import { ConfigError, loadConfig, type AppConfig } from './config'
import { createKnex } from './db/knex'
import { prepareDatabase } from './db/prepare'

/**
 * The process: read config, migrate and seed (primary only), then listen; with WORKERS=N,
 * N node:cluster workers share the port. SIGINT/SIGTERM drain: stop accepting, flush
 * buffered view counts (onClose hooks), close the database pool.
 */

async function startWorker (config: AppConfig): Promise<void> {
  const app = await buildApp(config)
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'error during shutdown')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  await app.listen({ port: config.port, host: config.host })
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

  if (cluster.isPrimary) {
    const knex = createKnex(config.database)
    try {
      const firstRun = await prepareDatabase(knex, config)
      if (firstRun !== null) {
        console.log(`首次启动：已创建管理员账号 ${firstRun.username}，密码 ${firstRun.password}（请登录后修改）`)
        console.log(`First start: admin account "${firstRun.username}" with password "${firstRun.password}"`)
      }
    } finally {
      await knex.destroy()
    }
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
    console.log(`luntan 运行于 http://${shownHost}:${config.port}/ (${config.database.client}, ${config.workers} 个进程)`)
    if (config.workers > 1) {
      for (let i = 0; i < config.workers; i++) cluster.fork()
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
      return
    }
  }
  await startWorker(config)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
