/**
 * The site's public address (站点设置 → 站点网址, SITE_URL): what absolute links leaving the site are built
 * on (sitemap.xml, robots.txt, feeds, og:url, the links in mails). Pure: no Fastify, no database.
 */

/**
 * `https://bbs.example.com/` → `https://bbs.example.com`: an absolute http(s) URL without query, fragment
 * or credentials, its trailing slashes dropped (paths are appended to it); null for anything else.
 */
export function normalizeSiteUrl (raw: string): string | null {
  const value = raw.trim()
  if (value === '' || /\s/.test(value) || value.includes('?') || value.includes('#')) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/**
 * The one rule for the site's public address: the 站点网址 setting when set (and valid), else SITE_URL,
 * else `fallback` — the request's own origin in development and test (production refuses to start
 * without SITE_URL, src/config.ts: a forged Host header must never reach what crawlers and mail read).
 */
export function effectiveSiteUrl (setting: string | undefined, siteUrl: string | null, fallback: string): string {
  return normalizeSiteUrl(setting ?? '') ?? siteUrl ?? fallback
}
