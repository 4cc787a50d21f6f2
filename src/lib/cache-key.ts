import { variantFromCookie } from './layout-variant'

/**
 * The key a guest page is cached under: the path and only the query parameters a cached page reads
 * (`page` on lists, threads and the Archiver, `before` on the darkroom), sorted. Any other parameter
 * (`?r=<random>` from a link shortener or a cache-buster) neither creates an entry nor evicts a hot copy:
 * such a request is answered from the canonical copy. A kept parameter given twice makes the URL
 * uncacheable (null): which value a route reads is then the router's business, not the cache's.
 */
const KEPT_PARAMETERS: ReadonlySet<string> = new Set(['before', 'page'])

export function canonicalCacheKey (url: string): string | null {
  const q = url.indexOf('?')
  if (q === -1) return url
  const kept: Array<[string, string]> = []
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=')
    const name = eq === -1 ? pair : pair.slice(0, eq)
    // `?mobile=` switches the layout and redirects (plugins/layout-switch.ts): never answered from a copy.
    if (name === 'mobile') return null
    if (!KEPT_PARAMETERS.has(name)) continue
    if (kept.some(([n]) => n === name)) return null
    kept.push([name, eq === -1 ? '' : pair.slice(eq + 1)])
  }
  const path = url.slice(0, q)
  if (kept.length === 0) return path
  kept.sort(([a], [b]) => a < b ? -1 : 1)
  return `${path}?${kept.map(([n, v]) => `${n}=${v}`).join('&')}`
}

/**
 * The key of a guest's copy: the canonical URL, and the layout the visitor chose (手机版 / 电脑版, a
 * cookie) when they chose one, since the page's <html> says it. Null: not cacheable.
 */
export function guestCacheKey (url: string, cookieHeader: string | undefined): string | null {
  const key = canonicalCacheKey(url)
  if (key === null) return null
  const variant = variantFromCookie(cookieHeader)
  return variant === null ? key : `${key}#layout=${variant}`
}
