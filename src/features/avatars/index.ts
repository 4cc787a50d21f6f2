import fp from 'fastify-plugin'
import type { AppConfig } from '../../config'
import type { Knex } from 'knex'
import { LocalDiskStorage, uploadMessages } from '../uploads'
import { systemClock } from '../../lib/clock'
import { SETTING_DEFAULTS } from '../../plugins/settings'
import routes from './routes'
import { avatarsService, type AvatarsService } from './service'
import { signatures, type Signatures } from './signature'

export type { AvatarsService, AvatarUrls } from './service'
export type { Signatures } from './signature'
export { importedSignature, storeImportedSignatures } from './signature'

/**
 * The avatar service outside the app (the Discuz importer's CLI): the same rules and storage, over a Knex
 * handle and the local upload folder, with the default size cap (no settings to read there).
 */
export function avatarsForImport (db: Knex, uploadsDir: string): AvatarsService {
  return avatarsService({
    db,
    clock: systemClock,
    storage: new LocalDiskStorage(uploadsDir),
    maxBytes: async () => Number(SETTING_DEFAULTS.upload_max_bytes),
    messages: uploadMessages
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** 头像: setFromImage(userId, bytes) (the settings page, the Discuz importer), urls, reset. */
    avatars: AvatarsService
    /** 签名: get/set a member's signature (word list applied). */
    signatures: Signatures
  }
}

/** 头像 and 签名: /settings/avatar (both forms), Discuz's /uc_server/avatar.php and the generated default; pictures in the upload storage. */
export default fp<{ config: AppConfig }>(async (app) => {
  app.decorate('avatars', avatarsService({
    db: app.db,
    clock: app.clock,
    storage: app.uploads.storage,
    maxBytes: async () => await app.settings.getNumber('upload_max_bytes'),
    messages: uploadMessages
  }))
  app.decorate('signatures', signatures(app.db, async (text) => await app.antiAbuse.scanWords(text)))
  await app.register(routes)
}, { name: 'avatars', dependencies: ['db', 'clock', 'settings', 'auth', 'view', 'security', 'uploads', 'antiabuse'] })
