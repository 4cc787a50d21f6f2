import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import routes from './routes'
import { uploadsService, type UploadsService } from './service'
import { LocalDiskStorage, type UploadStorage } from './storage'

export { uploadMessages, MAX_PIXELS, imageSizeLookup, storageRefusal } from './service'
export type { UploadStorage } from './storage'
export { LocalDiskStorage, StorageUnavailableError } from './storage'

declare module 'fastify' {
  interface FastifyInstance {
    /** Picture uploads: storeImage(bytes, { purpose, userId }) and the storage the pictures are in. */
    uploads: UploadsService
  }
}

export interface UploadsPluginOptions {
  config: AppConfig
  /** Another storage (tests, an S3-compatible bucket: see docs/uploads.md); local disk under UPLOADS_DIR by default. */
  storage?: UploadStorage
}

/** Pictures: the upload service (app.uploads), POST /uploads with its no-JavaScript form, and GET /uploads/<key>. */
export default fp<UploadsPluginOptions>(async (app, opts) => {
  const service = uploadsService({
    db: app.db,
    clock: app.clock,
    storage: opts.storage ?? new LocalDiskStorage(opts.config.uploadsDir),
    maxBytes: async () => await app.settings.getNumber('upload_max_bytes')
  })
  app.decorate('uploads', service)
  await app.register(routes)
}, { name: 'uploads', dependencies: ['db', 'clock', 'settings', 'auth', 'view', 'security'] })
