/**
 * 手机版 / 电脑版: Discuz's switches. The layout is responsive by itself (CSS container queries on the
 * body); a visitor may force one side: `?mobile=2` (also `yes`, `1`, `3`, `touch`: Discuz's mobile
 * styles) the phone layout on a desktop, `?mobile=no` the desktop layout on a phone. The choice lives in
 * a cookie, read here; the server prints it as a class on <html> (and a wider viewport for `desktop`),
 * so a cached guest page depends on it: the guest cache keys copies by it (cache-key.ts).
 */
export type LayoutVariant = 'mobile' | 'desktop'

export const LAYOUT_COOKIE = 'luntan_layout'
/** A year, as Discuz keeps its `mobile` cookie: the choice is a preference, not a session. */
export const LAYOUT_COOKIE_MAX_AGE = 365 * 24 * 3600

const MOBILE_VALUES: ReadonlySet<string> = new Set(['1', '2', '3', 'yes', 'touch'])
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${LAYOUT_COOKIE}=(mobile|desktop)(?:;|$)`)

/** What a `?mobile=` value asks for: a variant, or null for "follow the screen" (any other value). */
export function variantFromQuery (value: string): LayoutVariant | null {
  if (value === 'no') return 'desktop'
  return MOBILE_VALUES.has(value) ? 'mobile' : null
}

/** The variant a request's Cookie header holds, or null (the default: the layout follows the screen). */
export function variantFromCookie (cookieHeader: string | undefined): LayoutVariant | null {
  if (cookieHeader === undefined) return null
  const m = COOKIE_PATTERN.exec(cookieHeader)
  return m === null ? null : m[1] as LayoutVariant
}

/** The Set-Cookie value that remembers a choice (null forgets it). Not HttpOnly-sensitive: it holds no secret. */
export function layoutCookie (variant: LayoutVariant | null): string {
  return variant === null
    ? `${LAYOUT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`
    : `${LAYOUT_COOKIE}=${variant}; Path=/; Max-Age=${LAYOUT_COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly`
}

/**
 * The `mobile` parameter of a URL (its first value) and the URL without it, or null when it has none.
 * The switch answers with a redirect to the URL without the parameter, so no page is ever rendered or
 * cached at a `?mobile=` URL.
 */
export function splitMobileParameter (url: string): { value: string, rest: string } | null {
  const q = url.indexOf('?')
  if (q === -1) return null
  let value: string | null = null
  const kept: string[] = []
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=')
    const name = eq === -1 ? pair : pair.slice(0, eq)
    if (name === 'mobile') {
      value ??= eq === -1 ? '' : decodeURIComponentSafe(pair.slice(eq + 1))
      continue
    }
    if (pair !== '') kept.push(pair)
  }
  if (value === null) return null
  const path = url.slice(0, q)
  return { value, rest: kept.length === 0 ? path : `${path}?${kept.join('&')}` }
}

function decodeURIComponentSafe (s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return ''
  }
}
