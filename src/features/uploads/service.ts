import crypto from 'node:crypto'
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp'
import type { Knex } from 'knex'
import type { Clock } from '../../lib/clock'
import { HttpError, badRequest } from '../../lib/http-errors'
import { IMAGE_TYPES, sniffImageType, type ImageType } from '../../lib/image-type'
import { parseUploadKey, uploadKey, uploadUrl, UPLOADS_URL_PREFIX, type UploadVariant } from '../../lib/upload-keys'
import type { ImageSize, ImageSizeLookup } from '../../lib/markdown'
import { uploadsRepository, type UploadRow } from './repository'
import { StorageUnavailableError, type UploadStorage } from './storage'

/**
 * Pictures members upload: checked by their bytes, decoded and re-encoded (no byte of the upload is
 * ever served as it came), stored under the hash of the re-encoded bytes with a column-width copy and
 * a list thumbnail. No Fastify here: the routes turn HTTP into storeImage(bytes, ...).
 */

export type UploadPurpose = 'article' | 'avatar' | 'logo'
export const UPLOAD_PURPOSES: readonly UploadPurpose[] = ['article', 'avatar', 'logo']

/** The width of the article column (views: .article-body): wider pictures get a copy this wide. */
export const MEDIUM_WIDTH = 760
/** List thumbnails (home page, category lists): cropped to cover this box. */
export const THUMB_SIZE = Object.freeze({ width: 240, height: 160 })
/**
 * Decoded pixels a picture may have (all frames of an animation together). A 5 MB file can hold a
 * picture of billions of pixels (a "decompression bomb": a PNG of one colour compresses ~1000:1);
 * sharp would allocate all of them. 40 MP is a 7,700 × 5,200 photo, above any camera in a phone.
 */
export const MAX_PIXELS = 40_000_000
/** Frames of an animated GIF/WebP: a reaction GIF has tens; every frame is decoded and re-encoded. */
export const MAX_FRAMES = 300

export const uploadMessages = {
  empty: '请选择要上传的图片',
  tooLarge: (maxBytes: number) => `图片太大了，最大 ${formatBytes(maxBytes)}，请压缩后再上传`,
  notImage: '只能上传 JPEG、PNG、GIF、WebP 格式的图片（按文件内容识别，修改扩展名无效）',
  corrupt: '图片文件已损坏或不完整，无法读取，请换一张图片',
  tooManyPixels: `图片尺寸过大（最多 ${MAX_PIXELS / 1_000_000} 百万像素），请缩小后再上传`,
  tooManyFrames: `动图帧数过多（最多 ${MAX_FRAMES} 帧），请精简后再上传`,
  storageUnavailable: '服务器暂时无法保存图片（存储空间已满或不可写入），请稍后再试；图片没有保存'
} as const

/** The store cannot take the picture now (disk full, read-only): a 503, and nothing was stored. */
export function storageRefusal (err: unknown): unknown {
  return err instanceof StorageUnavailableError ? new HttpError(503, uploadMessages.storageUnavailable) : err
}

export function formatBytes (bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`
  return `${bytes} 字节`
}

export interface StoredImage {
  id: number
  hash: string
  url: string
  width: number
  height: number
  mime: string
  mediumUrl: string
  thumbUrl: string
}

export interface StoreImageOptions { purpose: UploadPurpose, userId: number | null }

export interface UploadsServiceOptions {
  db: Knex
  clock: Clock
  storage: UploadStorage
  /** The upload_max_bytes setting, read for each upload (admins change it without a restart). */
  maxBytes: () => Promise<number>
}

const payloadTooLarge = (message: string): HttpError => new HttpError(413, message)

interface Encoded { data: Buffer, width: number, height: number }

/** Output options per format: the picture re-encoded in its own format, without any metadata. */
function encoder (type: ImageType): (s: Sharp) => Sharp {
  switch (type) {
    case 'jpeg': return (s) => s.jpeg({ quality: 85, mozjpeg: true })
    case 'png': return (s) => s.png({ compressionLevel: 8, adaptiveFiltering: true })
    case 'gif': return (s) => s.gif()
    case 'webp': return (s) => s.webp({ quality: 82 })
  }
}

export function toStoredImage (row: UploadRow): StoredImage {
  const type = Object.entries(IMAGE_TYPES).find(([, info]) => info.mime === row.mime)?.[0] as ImageType | undefined
  const ext = IMAGE_TYPES[type ?? 'jpeg'].ext
  return {
    id: row.id,
    hash: row.hash,
    url: uploadUrl(uploadKey(row.hash, ext)),
    width: row.width,
    height: row.height,
    mime: row.mime,
    mediumUrl: uploadUrl(uploadKey(row.hash, ext, 'medium')),
    thumbUrl: uploadUrl(uploadKey(row.hash, ext, 'thumb'))
  }
}

export function uploadsService (options: UploadsServiceOptions) {
  const repo = uploadsRepository(options.db)
  const { storage } = options

  /**
   * Decodes the upload (refusing what does not decode cleanly or is too big once decoded) and encodes
   * it again: orientation applied (.rotate() reads the EXIF tag, then the tag is gone), every metadata
   * block dropped (sharp keeps none unless asked: EXIF with GPS, XMP, comments), and any bytes after
   * the picture (a polyglot's HTML) never reach the output, which holds only encoded pixels.
   */
  async function reencode (bytes: Buffer, type: ImageType): Promise<{ original: Encoded, medium: Encoded, thumb: Encoded, pages: number }> {
    // Animated GIF and WebP stay animated: on a forum a reaction GIF flattened to its first frame loses
    // what it says. The frame count and total pixels are bounded below, so an animation costs at most
    // what a large photo does. Thumbnails are the first frame.
    const animated = type === 'gif' || type === 'webp'
    const input = { failOn: 'error' as const, limitInputPixels: MAX_PIXELS, animated }
    let meta: Metadata
    try {
      meta = await sharp(bytes, input).metadata()
    } catch (err) {
      throw decodeRefusal(err)
    }
    // The decoder's own idea of the format must agree with the magic number (one input, one format).
    if (meta.format !== type || meta.width === undefined || meta.height === undefined) throw badRequest(uploadMessages.notImage)
    const pages = meta.pages ?? 1
    if (pages > MAX_FRAMES) throw badRequest(uploadMessages.tooManyFrames)
    if (meta.width * meta.height > MAX_PIXELS) throw badRequest(uploadMessages.tooManyPixels)
    const encode = encoder(type)
    const frameHeight = (info: OutputInfo): number => info.pageHeight ?? info.height
    try {
      const original = await encode(sharp(bytes, input).rotate()).toBuffer({ resolveWithObject: true })
      const ow = original.info.width
      const oh = frameHeight(original.info)
      const medium = ow > MEDIUM_WIDTH
        ? await encode(sharp(original.data, { animated }).resize({ width: MEDIUM_WIDTH })).toBuffer({ resolveWithObject: true })
        : original
      const thumb = await encode(sharp(original.data).resize({ ...THUMB_SIZE, fit: 'cover', position: 'attention' })).toBuffer({ resolveWithObject: true })
      return {
        original: { data: original.data, width: ow, height: oh },
        medium: { data: medium.data, width: medium.info.width, height: frameHeight(medium.info) },
        thumb: { data: thumb.data, width: thumb.info.width, height: thumb.info.height },
        pages
      }
    } catch (err) {
      throw decodeRefusal(err)
    }
  }

  return {
    /**
     * Stores a picture: the checks in order of cost (size, magic number, decode), then the three
     * encodings, then the files, then the row. A refusal at any step stores nothing. The same picture
     * again (same re-encoded bytes) returns the row already there.
     */
    async storeImage (bytes: Buffer, opts: StoreImageOptions): Promise<StoredImage> {
      if (bytes.length === 0) throw badRequest(uploadMessages.empty)
      const maxBytes = await options.maxBytes()
      if (bytes.length > maxBytes) throw payloadTooLarge(uploadMessages.tooLarge(maxBytes))
      const type = sniffImageType(bytes)
      if (type === null) throw badRequest(uploadMessages.notImage)
      const { original, medium, thumb } = await reencode(bytes, type)
      const hash = crypto.createHash('sha256').update(original.data).digest('hex')
      const existing = await repo.byHash(hash)
      if (existing !== undefined) return toStoredImage(existing)
      const { ext, mime } = IMAGE_TYPES[type]
      // Files first, row last: a row always has its files; files without a row (a crash between the
      // two) are harmless and are written again by the next upload of the picture.
      try {
        await storage.put(uploadKey(hash, ext, 'thumb'), thumb.data, { contentType: mime })
        await storage.put(uploadKey(hash, ext, 'medium'), medium.data, { contentType: mime })
        await storage.put(uploadKey(hash, ext), original.data, { contentType: mime })
      } catch (err) {
        // No row without its files: refused before the row. (A copy already written stays; content-
        // addressed and harmless, it is written again by the next upload of the picture.)
        throw storageRefusal(err)
      }
      const row = await repo.insertOrExisting({
        user_id: opts.userId,
        purpose: opts.purpose,
        hash,
        mime,
        width: original.width,
        height: original.height,
        bytes: original.data.length,
        created_at: options.clock.now()
      })
      return toStoredImage(row)
    },

    /**
     * The size of each stored picture among `urls` (originals and their column copy or thumbnail), for
     * the renderers' width/height: one query on the hash index. URLs that are not ours are left out.
     */
    imageSizes: imageSizeLookup(options.db),

    /** A stored picture by its hash (the no-JavaScript page shows the one just uploaded). */
    async byHash (hash: string): Promise<StoredImage | null> {
      if (!/^[0-9a-f]{64}$/.test(hash)) return null
      const row = await repo.byHash(hash)
      return row === undefined ? null : toStoredImage(row)
    },

    storage
  }
}

export type UploadsService = ReturnType<typeof uploadsService>

/**
 * The size of each stored picture among `urls` (originals and their column copy or thumbnail), for the
 * renderers' width/height: one query on the hash index. URLs that are not ours are left out. Exported
 * for the CLI's re-render (portal:render), which runs without the app.
 */
export function imageSizeLookup (db: Knex): ImageSizeLookup {
  const repo = uploadsRepository(db)
  return async (urls) => {
    const wanted = new Map<string, { hash: string, variant: UploadVariant }>()
    for (const url of urls) {
      const parsed = url.startsWith(UPLOADS_URL_PREFIX) ? parseUploadKey(url.slice(UPLOADS_URL_PREFIX.length)) : null
      if (parsed !== null) wanted.set(url, parsed)
    }
    const rows = await repo.sizesByHash([...new Set([...wanted.values()].map((w) => w.hash))])
    const byHash = new Map(rows.map((r) => [r.hash, { width: Number(r.width), height: Number(r.height) }]))
    const sizes = new Map<string, ImageSize>()
    for (const [url, { hash, variant }] of wanted) {
      const original = byHash.get(hash)
      if (original !== undefined) sizes.set(url, variantSize(original, variant))
    }
    return sizes
  }
}

/** A variant's size from its original's, as reencode makes them (the column copy keeps the aspect ratio). */
export function variantSize (original: ImageSize, variant: UploadVariant): ImageSize {
  if (variant === 'thumb') return { ...THUMB_SIZE }
  if (variant === 'medium' && original.width > MEDIUM_WIDTH) {
    return { width: MEDIUM_WIDTH, height: Math.max(1, Math.round(original.height * MEDIUM_WIDTH / original.width)) }
  }
  return original
}

/** A decoder error as the Chinese refusal (sharp's messages are English and name internals). */
function decodeRefusal (err: unknown): HttpError {
  if (err instanceof HttpError) return err
  const message = err instanceof Error ? err.message : ''
  if (/pixel limit/i.test(message)) return badRequest(uploadMessages.tooManyPixels)
  if (/unsupported image format/i.test(message)) return badRequest(uploadMessages.notImage)
  return badRequest(uploadMessages.corrupt)
}
