/**
 * What kind of picture some bytes are, read from their first bytes (magic numbers) alone: never from a
 * file name or a declared Content-Type, which the sender chooses. Only the four formats the site
 * accepts are recognised; anything else (SVG, HTML, PDF, a renamed text file) is null.
 */

export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp'

export const IMAGE_TYPES: Readonly<Record<ImageType, { mime: string, ext: string }>> = Object.freeze({
  jpeg: { mime: 'image/jpeg', ext: 'jpg' },
  png: { mime: 'image/png', ext: 'png' },
  gif: { mime: 'image/gif', ext: 'gif' },
  webp: { mime: 'image/webp', ext: 'webp' }
})

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

function startsWith (bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false
  return signature.every((b, i) => bytes[at + i] === b)
}

function ascii (text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0))
}

/** The image type the bytes start as, or null. Reads at most the first 12 bytes. */
export function sniffImageType (bytes: Uint8Array): ImageType | null {
  // JPEG: SOI (FF D8) then the first marker's FF.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg'
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png'
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif'
  // RIFF <size> WEBP
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp'
  return null
}

/** The type a stored key ends with (`ab/cd/<hash>.jpg` → jpeg), or null. */
export function imageTypeOfExt (ext: string): ImageType | null {
  for (const [type, info] of Object.entries(IMAGE_TYPES) as Array<[ImageType, { ext: string }]>) {
    if (info.ext === ext) return type
  }
  return null
}
