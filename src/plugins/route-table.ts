import fp from 'fastify-plugin'

/** One route as it was declared: a method and the URL pattern (`/thread/:tid/pin`). */
export interface RouteEntry { readonly method: string, readonly url: string }

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
      if (!routes.some((r) => r.method === method && r.url === route.url)) routes.push({ method, url: route.url })
    }
  })
}, { name: 'route-table' })
