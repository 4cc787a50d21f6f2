import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound } from '../../lib/http-errors'
import { PathParam } from '../../lib/route-schemas'

/**
 * robots.txt and sitemap.xml, pointing crawlers at canonical pages. Features add their pages as
 * sources (`app.sitemap.add(...)`): the portal its articles, the forum its threads. Up to 50,000
 * URLs per file as the protocol allows; beyond that /sitemap.xml is an index of numbered files.
 */

export interface SitemapEntry { path: string, lastModified: number }
export interface SitemapSource {
  name: string
  count: () => Promise<number>
  /** Entries in a stable order (e.g. by id), `offset`/`limit` over that order. */
  list: (offset: number, limit: number) => Promise<SitemapEntry[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    sitemap: { add: (source: SitemapSource) => void }
    /**
     * The site's absolute origin for links leaving the site (sitemap, feeds, og:url, mail links):
     * 站点设置 → 站点网址, else SITE_URL, else in development and test the request's own origin
     * (app.settings.siteOrigin owns the rule).
     */
    siteOrigin: (request: FastifyRequest) => Promise<string>
  }
}

export const URLS_PER_SITEMAP = 50_000

function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function isoDate (unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10)
}

export default fp<{ urlsPerFile?: number }>(async (app: FastifyInstance, opts) => {
  const perFile = opts.urlsPerFile ?? URLS_PER_SITEMAP
  /**
   * The configured address (站点网址 or SITE_URL), never the Host header (anyone can send one: a forged
   * Host put its host into the sitemap crawlers read). Without either (development and test only:
   * production refuses to start without SITE_URL, src/config.ts) the request's own origin stands in.
   */
  async function origin (request: FastifyRequest): Promise<string> {
    return await app.settings.siteOrigin(`${request.protocol}://${request.host}`)
  }
  app.decorate('siteOrigin', origin)
  const sources: SitemapSource[] = []
  app.decorate('sitemap', { add: (source: SitemapSource) => { sources.push(source) } })

  app.get('/robots.txt', async (request, reply) => {
    const lines = [
      'User-agent: *',
      'Disallow: /mod',
      'Disallow: /admin',
      'Disallow: /settings',
      'Disallow: /login',
      'Disallow: /register',
      // The public ban list: members' names and reasons should not outlive a ban in search results (/darkroom.json too).
      'Disallow: /darkroom',
      `Sitemap: ${await origin(request)}/sitemap.xml`
    ]
    return await reply.type('text/plain; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(lines.join('\n') + '\n')
  })

  async function urlset (request: FastifyRequest, source: SitemapSource, offset: number): Promise<string> {
    const base = await origin(request)
    const entries = await source.list(offset, perFile)
    const urls = entries.map((e) => `<url><loc>${escapeXml(base + e.path)}</loc><lastmod>${isoDate(e.lastModified)}</lastmod></url>`)
    return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`
  }

  app.get('/sitemap.xml', async (request, reply) => {
    const counts = await Promise.all(sources.map(async (s) => ({ source: s, count: await s.count() })))
    const total = counts.reduce((a, c) => a + c.count, 0)
    void reply.type('application/xml; charset=utf-8').header('Cache-Control', 'public, max-age=3600')
    if (total <= perFile) {
      const base = await origin(request)
      const urls: string[] = []
      for (const { source } of counts) {
        for (const e of await source.list(0, perFile)) urls.push(`<url><loc>${escapeXml(base + e.path)}</loc><lastmod>${isoDate(e.lastModified)}</lastmod></url>`)
      }
      return await reply.send(`<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`)
    }
    const base = await origin(request)
    const files: string[] = []
    for (const { source, count } of counts) {
      for (let n = 1; n <= Math.ceil(count / perFile); n++) files.push(`<sitemap><loc>${escapeXml(`${base}/sitemap-${source.name}-${n}.xml`)}</loc></sitemap>`)
    }
    return await reply.send(`<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${files.join('\n')}\n</sitemapindex>\n`)
  })

  // `file` is checked by the handler (an unknown name is the 404 crawlers expect, not a 400).
  app.withTypeProvider<TypeBoxTypeProvider>().get('/sitemap-:file', { schema: { params: Type.Object({ file: PathParam }) } }, async (request, reply) => {
    const m = /^([a-z]+)-(\d{1,6})\.xml$/.exec(request.params.file)
    const source = m === null ? undefined : sources.find((s) => s.name === m[1])
    if (m === null || source === undefined) throw notFound()
    const n = Number(m[2])
    const count = await source.count()
    if (n < 1 || (n - 1) * perFile >= count) throw notFound()
    return await reply.type('application/xml; charset=utf-8').header('Cache-Control', 'public, max-age=3600')
      .send(await urlset(request, source, (n - 1) * perFile))
  })
}, { name: 'sitemap', dependencies: ['settings'] })
