/**
 * 头像 URLs and the generated default avatar. Pure: the view filter `avatar`, the avatars feature and
 * the importer share these.
 *
 * Pages link Discuz's own URL, `/uc_server/avatar.php?uid=N&size=small|middle|big`, which answers 301 to
 * the stored picture (content-hashed, cached for a year) or to the generated default. Why not the picture
 * itself: a page would then need each author's avatar row, a join added to every query that lists
 * authors (floors, comments, reactions, profiles); Discuz pages do exactly this redirect, and its answer
 * is cached by the browser for AVATAR_REDIRECT_MAX_AGE, so a page of twenty floors by five people costs
 * five small redirects once, then none.
 */

export type AvatarSize = 'small' | 'middle' | 'big'
export const AVATAR_SIZES: Readonly<Record<AvatarSize, number>> = { small: 48, middle: 120, big: 200 }
export const isAvatarSize = (s: unknown): s is AvatarSize => s === 'small' || s === 'middle' || s === 'big'

/** How long a browser keeps the redirect: a new avatar shows everywhere within this long. */
export const AVATAR_REDIRECT_MAX_AGE = 600

export function avatarUrl (uid: number, size: AvatarSize = 'middle'): string {
  return `/uc_server/avatar.php?uid=${uid}&size=${size}`
}

// Twelve colours dark enough for a white initial (contrast ≥ 4.5:1).
const COLOURS = ['#b0413e', '#a35200', '#7a6300', '#3f7a1f', '#1b7a55', '#127580', '#1f5fa8', '#4b53b5', '#6d47a8', '#92408f', '#a83a67', '#5d6670'] as const

/** The colour of member `uid`'s default avatar: the same every time, neighbours differ. */
export function avatarColour (uid: number): string {
  return COLOURS[((uid % COLOURS.length) + COLOURS.length) % COLOURS.length] ?? COLOURS[0]
}

const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The default avatar: the first character of the name, white on the member's colour, as SVG. */
export function defaultAvatarSvg (uid: number, username: string, size: AvatarSize): string {
  const px = AVATAR_SIZES[size]
  const initial = [...username.trim()][0]?.toUpperCase() ?? '?'
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 100 100">` +
    `<rect width="100" height="100" fill="${avatarColour(uid)}"/>` +
    `<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">${escapeXml(initial)}</text></svg>`
}
