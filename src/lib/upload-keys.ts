/**
 * Names of stored pictures. A picture is stored under the sha256 of its re-encoded bytes, fanned out
 * over two directory levels so no directory grows past 65,536 entries: `ab/cd/<hash>.<ext>`, with its
 * column-width copy `ab/cd/<hash>-m.<ext>` and its list thumbnail `ab/cd/<hash>-t.<ext>`. The URL of
 * each is `/uploads/<key>`. Pure: the upload service, the serving route and other features (an
 * article's first picture as its thumbnail) share these rules.
 */

export type UploadVariant = 'original' | 'medium' | 'thumb'

const SUFFIX: Readonly<Record<UploadVariant, string>> = { original: '', medium: '-m', thumb: '-t' }

/** The URL prefix under which stored pictures are served. */
export const UPLOADS_URL_PREFIX = '/uploads/'

/** Exactly the keys the service writes: anything else is not ours (404 before storage is asked). */
const KEY_PATTERN = /^([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})(-m|-t)?\.(jpg|png|gif|webp)$/

export function uploadKey (hash: string, ext: string, variant: UploadVariant = 'original'): string {
  return `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}${SUFFIX[variant]}.${ext}`
}

export function uploadUrl (key: string): string {
  return UPLOADS_URL_PREFIX + key
}

export interface ParsedUploadKey { hash: string, ext: string, variant: UploadVariant }

/** A key as the service writes it, or null (wrong shape, fan-out not matching the hash). */
export function parseUploadKey (key: string): ParsedUploadKey | null {
  const m = KEY_PATTERN.exec(key)
  if (m === null) return null
  const [, a, b, hash, suffix, ext] = m
  if (hash === undefined || ext === undefined || a !== hash.slice(0, 2) || b !== hash.slice(2, 4)) return null
  return { hash, ext, variant: suffix === '-m' ? 'medium' : suffix === '-t' ? 'thumb' : 'original' }
}

/**
 * The URL of another variant of a stored picture's URL (`/uploads/ab/cd/<hash>.jpg` → its thumbnail),
 * or null when the URL is not one of ours. For features that show a stored picture smaller.
 */
export function uploadVariantUrl (url: string, variant: UploadVariant): string | null {
  if (!url.startsWith(UPLOADS_URL_PREFIX)) return null
  const parsed = parseUploadKey(url.slice(UPLOADS_URL_PREFIX.length))
  return parsed === null ? null : uploadUrl(uploadKey(parsed.hash, parsed.ext, variant))
}

// An upload URL anywhere in a text (Markdown source or HTML): the shape KEY_PATTERN accepts, under the prefix.
const UPLOAD_URL_IN_TEXT = /\/uploads\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}(?:-m|-t)?\.(?:jpg|png|gif|webp)/g

/**
 * The distinct upload URLs a body mentions (at most `limit`): what to ask the uploads feature sizes for
 * before rendering it. A superset of its pictures (a link to an upload counts too), which is harmless.
 */
export function uploadUrlsIn (text: string, limit = 200): string[] {
  const found = new Set<string>()
  for (const m of text.matchAll(UPLOAD_URL_IN_TEXT)) {
    found.add(m[0])
    if (found.size >= limit) break
  }
  return [...found]
}
