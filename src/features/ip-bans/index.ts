import fp from 'fastify-plugin'
import { HttpError } from '../../lib/http-errors'
import { ipBansRepository } from './repository'
import { IP_BAN_RELOAD_MS, ipBansService, messages, type IpBansService } from './service'
import routes from './routes'

/**
 * 禁止 IP (Discuz's IP bans): addresses and CIDR ranges refused on every page. Each process keeps the
 * list in memory and rereads it every IP_BAN_RELOAD_MS (a change on another process shows within that),
 * so the check is a pass over the ranges, no query. Two places check it, one rule: an onRequest hook
 * answers the Chinese 403 inside Fastify, and a front-door gate sends a refused client's request for a
 * cached guest page down that path instead of answering it from the copy. Static assets stay served.
 */

declare module 'fastify' {
  interface FastifyInstance {
    ipBans: IpBansService
  }
}

export default fp(async (app) => {
  const service = ipBansService({ db: app.db, repo: ipBansRepository(app.db), clock: app.clock, audit: app.adminAudit })
  app.decorate('ipBans', service)

  const reload = async (): Promise<void> => {
    try {
      await service.reload()
    } catch (err) {
      // The last list read stays in force while the database is away.
      app.log.error({ err }, 'ip ban list reload failed')
    }
  }
  let timer: NodeJS.Timeout | null = null
  app.addHook('onReady', async () => {
    await reload()
    timer = setInterval(() => { void reload() }, IP_BAN_RELOAD_MS)
    timer.unref()
  })
  app.addHook('onClose', async () => { if (timer !== null) clearInterval(timer) })

  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/static/') || !service.blocks(request.ip)) return
    throw new HttpError(403, messages.refused)
  })
  app.guestPages.addGate((visit) => !service.blocks(visit.ip))

  await app.register(routes, { service })
}, { name: 'ip-bans', dependencies: ['db', 'clock', 'auth', 'view', 'guest-pages', 'site-admin'] })
