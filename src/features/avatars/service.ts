import crypto from 'node:crypto'
import sharp, { type Metadata } from 'sharp'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { AVATAR_SIZES, type AvatarSize } from '../../lib/avatar'
import { HttpError, badRequest } from '../../lib/http-errors'
import { IMAGE_TYPES, sniffImageType } from '../../lib/image-type'
import { uploadKey, uploadUrl } from '../../lib/upload-keys'
import { storageRefusal, type UploadStorage } from '../uploads'
import { avatarsRepository } from './repository'

/**
 * 头像: an uploaded picture (JPEG/PNG/GIF/WebP, told by its bytes) cropped square around what matters
 * (sharp's attention strategy) and resized to Discuz's three sizes. Each size is stored in the upload
 * storage under the sha256 of its own bytes (`/uploads/ab/cd/<hash>.png`, served immutable); the
 * member_avatars row points at the three. No Fastify here: the routes and the Discuz importer call
 * setFromImage(userId, bytes).
 */

/** Decoded pixels an avatar upload may have: a phone photo is 12–50 MP; more is a decompression bomb. */
const MAX_PIXELS = 40_000_000

export interface AvatarsDeps {
  db: Knex
  clock: Clock
  storage: UploadStorage
  maxBytes: () => Promise<number>
  messages: { empty: string, tooLarge: (maxBytes: number) => string, notImage: string, corrupt: string, tooManyPixels: string }
}

export type AvatarUrls = Record<AvatarSize, string>

const SIZES: readonly AvatarSize[] = ['small', 'middle', 'big']

export function avatarsService (deps: AvatarsDeps) {
  const repo = avatarsRepository(deps.db)
  const { messages } = deps

  async function encodeSizes (bytes: Buffer): Promise<Record<AvatarSize, { data: Buffer, ext: string, mime: string }>> {
    const type = sniffImageType(bytes)
    if (type === null) throw badRequest(messages.notImage)
    let meta: Metadata
    try {
      meta = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_PIXELS }).metadata()
    } catch (err) {
      throw refusal(err)
    }
    if (meta.format !== type || meta.width === undefined || meta.height === undefined) throw badRequest(messages.notImage)
    if (meta.width * meta.height > MAX_PIXELS) throw badRequest(messages.tooManyPixels)
    // An avatar is small and still: a photo as JPEG, anything that may be transparent as PNG (a GIF's
    // or WebP's first frame). Metadata is never copied (sharp keeps none unless asked).
    const asPng = type !== 'jpeg' && meta.hasAlpha === true
    const out = asPng ? IMAGE_TYPES.png : IMAGE_TYPES.jpeg
    const result: Partial<Record<AvatarSize, { data: Buffer, ext: string, mime: string }>> = {}
    try {
      for (const size of SIZES) {
        const px = AVATAR_SIZES[size]
        const s = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_PIXELS }).rotate().resize({ width: px, height: px, fit: 'cover', position: 'attention' })
        const data = asPng ? await s.png({ compressionLevel: 9 }).toBuffer() : await s.flatten({ background: '#ffffff' }).jpeg({ quality: 88, mozjpeg: true }).toBuffer()
        result[size] = { data, ext: out.ext, mime: out.mime }
      }
    } catch (err) {
      throw refusal(err)
    }
    return result as Record<AvatarSize, { data: Buffer, ext: string, mime: string }>
  }

  function refusal (err: unknown): HttpError {
    if (err instanceof HttpError) return err
    const message = err instanceof Error ? err.message : ''
    if (/pixel limit/i.test(message)) return badRequest(messages.tooManyPixels)
    if (/unsupported image format/i.test(message)) return badRequest(messages.notImage)
    return badRequest(messages.corrupt)
  }

  const urlsOf = (row: { small_key: string, middle_key: string, big_key: string }): AvatarUrls =>
    ({ small: uploadUrl(row.small_key), middle: uploadUrl(row.middle_key), big: uploadUrl(row.big_key) })

  return {
    /**
     * Makes `bytes` the member's avatar: size, magic number and decode checked first (a refusal stores
     * nothing), files written before the row (a row always has its files). Returns the three URLs.
     */
    async setFromImage (userId: number, bytes: Buffer, options: { maxBytes?: number } = {}): Promise<AvatarUrls> {
      if (bytes.length === 0) throw badRequest(messages.empty)
      const maxBytes = options.maxBytes ?? await deps.maxBytes()
      if (bytes.length > maxBytes) throw new HttpError(413, messages.tooLarge(maxBytes))
      const sizes = await encodeSizes(bytes)
      const keys: Partial<Record<AvatarSize, string>> = {}
      for (const size of SIZES) {
        const { data, ext, mime } = sizes[size]
        const key = uploadKey(crypto.createHash('sha256').update(data).digest('hex'), ext)
        // Disk full or read-only: a 503 before the row, so the member keeps the avatar they had.
        try {
          await deps.storage.put(key, data, { contentType: mime })
        } catch (err) {
          throw storageRefusal(err)
        }
        keys[size] = key
      }
      const row = { user_id: userId, small_key: keys.small ?? '', middle_key: keys.middle ?? '', big_key: keys.big ?? '', updated_at: deps.clock.now() }
      await repo.set(row)
      return urlsOf(row)
    },

    /** Back to the generated default (the files stay: content-addressed, another member may share them). */
    async reset (userId: number): Promise<boolean> {
      return await repo.remove(userId) > 0
    },

    /** The member's uploaded avatar URLs, or null when they have none (the default is drawn). */
    async urls (userId: number): Promise<AvatarUrls | null> {
      const row = await repo.get(userId)
      return row === undefined ? null : urlsOf(row)
    },

    username: async (userId: number): Promise<string | null> => await repo.username(userId)
  }
}

export type AvatarsService = ReturnType<typeof avatarsService>
