import fp from 'fastify-plugin'

/**
 * One route as it was declared: a method and the URL pattern (`/thread/:tid/pin`), and whether it
 * declared a schema and a rate limit (the admin centre's routes must: test/admin/access.test.ts).
 */
export interface RouteEntry { readonly method: string, readonly url: string, readonly schema: boolean, readonly rateLimit: boolean }

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route of the app, in the order it was added (HEAD routes Fastify adds for GET left out).
     * Read by the access-control matrix and the fuzz suite (test/security/), so a route added by any
     * feature is checked without anyone remembering to list it.
     */
    routeTable: readonly RouteEntry[]
  }
}

/** Registered first in buildApp: an onRoute hook sees only the routes added after it. */
export default fp(async (app) => {
  const routes: RouteEntry[] = []
  app.decorate('routeTable', routes)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      // Fastify adds a HEAD twin to each GET (exposeHeadRoutes): it answers as the GET does.
      if (method === 'HEAD' && route.exposeHeadRoute !== false && routes.some((r) => r.method === 'GET' && r.url === route.url)) continue
      const rateLimit = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== undefined
      if (!routes.some((r) => r.method === method && r.url === route.url)) routes.push({ method, url: route.url, schema: route.schema !== undefined, rateLimit })
    }
  })
}, { name: 'route-table' })
