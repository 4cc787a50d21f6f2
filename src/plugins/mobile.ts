import fp from 'fastify-plugin'
import { layoutCookie, splitMobileParameter, variantFromQuery } from '../lib/layout-variant'

/** Discuz's blue (the nav bar): the phone's address bar and the installed app's title bar. */
export const THEME_COLOR = '#2B7ACD'

/**
 * Discuz's 手机版 switch: `?mobile=2` (the footer's 手机版 link, and old `forum.php?mobile=2` links) or
 * `?mobile=no` on any page remembers the choice in a cookie and redirects to the same URL without the
 * parameter, which then renders in that layout (src/lib/layout-variant.ts). Any other value forgets the
 * choice. It runs first (onRequest), so no route ever renders or caches a `?mobile=` URL; the front door
 * passes such URLs on (cache-key.ts gives them no key).
 */
export default fp(async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    const split = splitMobileParameter(request.url)
    if (split === null) return
    // A protocol-relative target (`//evil.example`) cannot arise: the path is the request's own, but
    // a request line of `//x?mobile=2` would make one, so such paths go to the site's root.
    const target = split.rest.startsWith('//') ? '/' : split.rest
    await reply.header('Set-Cookie', layoutCookie(variantFromQuery(split.value))).header('Cache-Control', 'no-store').redirect(target, 302)
  })

  // The web app manifest, so a phone can put the site on its home screen (named after the site, in
  // Discuz blue, the theme-color the layout's <meta> gives too).
  app.get('/manifest.webmanifest', async (_request, reply) => {
    const site = await app.settings.all().catch(() => app.settings.lastKnown())
    const manifest = {
      name: site.site_name,
      short_name: site.site_name.length <= 12 ? site.site_name : site.site_name.slice(0, 12),
      lang: 'zh-CN',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      background_color: '#ffffff',
      theme_color: THEME_COLOR,
      icons: [192, 512].map((size) => ({ src: `/static/img/icon-${size}.png`, sizes: `${size}x${size}`, type: 'image/png', purpose: 'any maskable' }))
    }
    return await reply.type('application/manifest+json; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(JSON.stringify(manifest))
  })
}, { name: 'mobile', dependencies: ['settings'] })
