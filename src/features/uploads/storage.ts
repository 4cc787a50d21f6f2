import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { IMAGE_TYPES, sniffImageType } from '../../lib/image-type'

/**
 * Where stored pictures live. Keys are relative, slash-separated names (`ab/cd/<hash>.jpg`), written
 * once and never changed (content-addressed: the same key always holds the same bytes), so a put of an
 * existing key may simply overwrite it. See docs/uploads.md for what a second implementation (an
 * S3-compatible bucket) must do.
 */
export interface StoredObjectInfo {
  size: number
  /** The content type recorded when the object was stored: served as it is, never guessed from the key. */
  contentType: string
}

export interface UploadStorage {
  /**
   * Stores bytes under a key; overwriting the same key is allowed (same key = same bytes). Throws
   * StorageUnavailableError when the store cannot take them now (full, read-only), leaving no part behind.
   */
  put: (key: string, bytes: Buffer, meta: { contentType: string }) => Promise<void>
  /** The object's bytes as a stream with its info, or null when there is none. */
  get: (key: string) => Promise<(StoredObjectInfo & { body: Readable }) | null>
  stat: (key: string) => Promise<StoredObjectInfo | null>
  /** Removes an object; a missing one is not an error. */
  delete: (key: string) => Promise<void>
}

export class InvalidStorageKeyError extends Error {
  constructor (key: string) {
    super(`invalid storage key: ${JSON.stringify(key)}`)
    this.name = 'InvalidStorageKeyError'
  }
}

/**
 * The store cannot take bytes now: the disk is full, the folder read-only, not a folder, or not ours to
 * write. Not the upload's fault and not a bug: the services answer it with a 503 and store no row.
 */
export class StorageUnavailableError extends Error {
  readonly code: string
  constructor (code: string, options: { cause: unknown }) {
    super(`upload storage unavailable (${code})`, options)
    this.name = 'StorageUnavailableError'
    this.code = code
  }
}

/**
 * The file-system errors that say the disk cannot take a file (rather than that the key is wrong).
 * ENOTDIR/EEXIST: a file where a folder of the path is expected (also how the tests make a folder
 * unwritable when they run as root, where a read-only mode is ignored). ENOENT: Node's recursive mkdir
 * on a read-only file system reports ENOENT, not EROFS (measured: test/process-faults/uploads-unwritable).
 */
const UNWRITABLE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'ENOENT', 'EIO', 'EMFILE', 'ENFILE'])

/**
 * Keys a storage accepts: relative, no `..` or `.` segment, no NUL, no backslash (a separator on
 * Windows), no empty segment. The routes only ever pass keys of the service's own shape
 * (parseUploadKey); this is the storage's own guard, whoever calls it.
 */
export function assertSafeKey (key: string): void {
  const segments = key.split('/')
  if (key === '' || key.length > 512 || key.includes('\0') || key.includes('\\') || key.startsWith('/') || /^[a-zA-Z]:/.test(key) ||
    segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidStorageKeyError(key)
  }
}

/**
 * Local disk under one directory (UPLOADS_DIR, default data/uploads/). The content type is not kept
 * beside the file: every object this service writes is a re-encoded picture, so it is read back from the
 * file's own first bytes (the same magic-number check as uploads), never from the key's extension.
 */
export class LocalDiskStorage implements UploadStorage {
  private readonly root: string

  constructor (dir: string) {
    this.root = path.resolve(dir)
  }

  /** The file of a key, checked to be inside the root (a second guard after assertSafeKey). */
  private fileOf (key: string): string {
    assertSafeKey(key)
    const file = path.resolve(this.root, ...key.split('/'))
    if (!file.startsWith(this.root + path.sep)) throw new InvalidStorageKeyError(key)
    return file
  }

  // The content type is not written down: stat reads it back from the bytes (see the class comment).
  async put (key: string, bytes: Buffer, _meta?: { contentType: string }): Promise<void> {
    const file = this.fileOf(key)
    // Written under a temporary name and renamed: a reader never sees half a file, and two uploads of
    // the same picture at once both end with the whole file.
    const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true })
      await fs.promises.writeFile(temp, bytes, { flag: 'wx' })
      await fs.promises.rename(temp, file)
    } catch (err) {
      // A full disk leaves the part written so far: removed, so a failed put leaves nothing behind.
      await fs.promises.rm(temp, { force: true }).catch(() => {})
      const code = (err as NodeJS.ErrnoException).code
      if (code !== undefined && UNWRITABLE_CODES.has(code)) throw new StorageUnavailableError(code, { cause: err })
      throw err
    }
  }

  async stat (key: string): Promise<StoredObjectInfo | null> {
    const file = this.fileOf(key)
    let handle: fs.promises.FileHandle
    try {
      handle = await fs.promises.open(file, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null
      throw err
    }
    try {
      const st = await handle.stat()
      if (!st.isFile()) return null
      const head = Buffer.alloc(12)
      await handle.read(head, 0, 12, 0)
      const type = sniffImageType(head)
      return { size: st.size, contentType: type === null ? 'application/octet-stream' : IMAGE_TYPES[type].mime }
    } finally {
      await handle.close()
    }
  }

  async get (key: string): Promise<(StoredObjectInfo & { body: Readable }) | null> {
    const info = await this.stat(key)
    if (info === null) return null
    return { ...info, body: fs.createReadStream(this.fileOf(key)) }
  }

  async delete (key: string): Promise<void> {
    await fs.promises.rm(this.fileOf(key), { force: true })
  }
}
