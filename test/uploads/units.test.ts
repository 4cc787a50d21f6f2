import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sniffImageType } from '../../src/lib/image-type'
import { parseUploadKey, uploadKey, uploadVariantUrl } from '../../src/lib/upload-keys'
import { can, ROLES, type AuthUser, type Role } from '../../src/lib/permissions'
import { InvalidStorageKeyError, LocalDiskStorage, assertSafeKey } from '../../src/features/uploads/storage'
import { FAKE_GIF_HTML, SVG, TEXT, animatedGif, jpegWithGpsAndOrientation, webp, widePng } from './fixtures'

const HASH = 'ab' + 'cd' + 'e'.repeat(60)

describe('sniffImageType: the bytes decide, not the name', () => {
  it('recognises the four formats by their magic numbers and nothing else', async () => {
    expect(sniffImageType(await jpegWithGpsAndOrientation())).toBe('jpeg')
    expect(sniffImageType(await widePng())).toBe('png')
    expect(sniffImageType(await animatedGif())).toBe('gif')
    expect(sniffImageType(await webp())).toBe('webp')
    expect(sniffImageType(FAKE_GIF_HTML)).toBe('gif') // the header alone passes: decoding refuses it (uploads.test.ts)
    for (const other of [TEXT, SVG, Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.from('%PDF-1.7'), Buffer.from([0xff, 0xd8]), Buffer.alloc(0)]) {
      expect(sniffImageType(other)).toBeNull()
    }
  })
})

describe('upload keys', () => {
  it('fans a hash out over two levels and parses back only its own shape', () => {
    expect(uploadKey(HASH, 'jpg')).toBe(`ab/cd/${HASH}.jpg`)
    expect(parseUploadKey(uploadKey(HASH, 'png', 'thumb'))).toEqual({ hash: HASH, ext: 'png', variant: 'thumb' })
    for (const bad of [`ab/ce/${HASH}.jpg`, `ab/cd/${HASH}.svg`, `ab/cd/${HASH}.html`, `../cd/${HASH}.jpg`, `ab/cd/${HASH}.jpg\0`, `ab/cd/${HASH.toUpperCase()}.jpg`, `ab/cd/${HASH}-x.jpg`]) {
      expect([bad, parseUploadKey(bad)]).toEqual([bad, null])
    }
    expect(uploadVariantUrl(`/uploads/ab/cd/${HASH}-m.jpg`, 'thumb')).toBe(`/uploads/ab/cd/${HASH}-t.jpg`)
    expect(uploadVariantUrl('https://elsewhere/x.jpg', 'thumb')).toBeNull()
  })
})

describe('LocalDiskStorage', () => {
  let dir: string
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-storage-')) })
  afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  it('refuses keys with .., absolute paths, NUL, backslashes or empty segments, before touching the disk', async () => {
    const storage = new LocalDiskStorage(path.join(dir, 'store'))
    for (const key of ['../x.png', 'a/../../x.png', '/etc/passwd', 'a/b\0.png', 'a\\..\\x.png', 'C:/x.png', 'a//b.png', '', './a.png']) {
      expect(() => { assertSafeKey(key) }).toThrow(InvalidStorageKeyError)
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'image/png' })).rejects.toThrow(InvalidStorageKeyError)
      await expect(storage.stat(key)).rejects.toThrow(InvalidStorageKeyError)
    }
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it('put, stat (content type read from the stored bytes), get, delete; a missing key is null', async () => {
    const storage = new LocalDiskStorage(path.join(dir, 'store'))
    const png = await widePng()
    const key = uploadKey(HASH, 'png')
    await storage.put(key, png, { contentType: 'image/png' })
    await storage.put(key, png, { contentType: 'image/png' }) // same key, same bytes: fine
    expect(await storage.stat(key)).toEqual({ size: png.length, contentType: 'image/png' })
    const got = await storage.get(key)
    const chunks: Buffer[] = []
    for await (const c of got?.body ?? []) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(png)).toBe(true)
    expect(fs.readdirSync(path.join(dir, 'store', 'ab', 'cd'))).toEqual([`${HASH}.png`])
    await storage.delete(key)
    await storage.delete(key)
    expect(await storage.stat(key)).toBeNull()
    expect(await storage.get(key)).toBeNull()
  })
})

describe("can(user, { action: 'upload' })", () => {
  const user = (role: Role, ban: Partial<AuthUser> = {}): AuthUser => ({ id: 7, username: 'u', role, createdAt: 0, postCount: 0, banType: null, banUntil: null, banReason: null, ...ban })
  it('the role × action matrix: staff and editors may upload, members (until avatars) and guests may not, a 禁止发言 stops anyone', () => {
    const expected: Record<Role, boolean> = { admin: true, moderator: true, editor: true, member: false }
    expect(ROLES.map((r) => [r, can(user(r), { action: 'upload' }, 1000)])).toEqual(ROLES.map((r) => [r, expected[r]]))
    expect(can(null, { action: 'upload' }, 1000)).toBe(false)
    for (const r of ROLES) expect(can(user(r, { banType: 'post', banUntil: 2000, banReason: '灌水' }), { action: 'upload' }, 1000)).toBe(false)
    expect(can(user('admin', { banType: 'post', banUntil: 900, banReason: '过期' }), { action: 'upload' }, 1000)).toBe(true)
  })
})
