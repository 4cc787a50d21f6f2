import crypto from 'node:crypto'
import sharp from 'sharp'

/** Pictures made in code for the upload tests (nothing downloaded). */

/** A 300 × 200 photo whose EXIF says "rotate 90°" (orientation 6) and where it was taken (GPS). */
export async function jpegWithGpsAndOrientation (): Promise<Buffer> {
  return await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c8553d' } })
    .composite([{ input: { create: { width: 100, height: 200, channels: 3, background: '#2d6a4f' } }, left: 0, top: 0 }])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Make: 'LuntanCam', Model: 'Test 1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '23/1 21/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 40/1 0/1' } })
    .toBuffer()
}

/** True when EXIF bytes hold a GPS IFD pointer (tag 0x8825, either byte order). */
export function exifHasGps (exif: Buffer | undefined): boolean {
  return exif !== undefined && (exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88])))
}

/** A wide PNG (1200 × 600) with transparency: gets a 760-wide column copy. */
export async function widePng (): Promise<Buffer> {
  return await sharp({ create: { width: 1200, height: 600, channels: 4, background: { r: 30, g: 90, b: 200, alpha: 0.5 } } }).png().toBuffer()
}

/** An animated GIF: 3 frames of 100 × 50. */
export async function animatedGif (): Promise<Buffer> {
  const frames = await Promise.all([0, 1, 2].map(async (i) =>
    await sharp({ create: { width: 100, height: 50, channels: 3, background: { r: 80 * i, g: 120, b: 40 } } }).raw().toBuffer()))
  return await sharp(Buffer.concat(frames), { raw: { width: 100, height: 150, channels: 3, pageHeight: 50 } })
    .gif({ delay: [100, 100, 100], loop: 0 }).toBuffer()
}

export async function webp (): Promise<Buffer> {
  return await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ffb703' } }).webp({ quality: 90 }).toBuffer()
}

/** Noise compresses badly: a PNG of this size is about width × height × 3 bytes. */
export async function noisyPng (width: number, height: number): Promise<Buffer> {
  const raw = crypto.randomBytes(width * height * 3)
  return await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer()
}

export const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>')
export const TEXT = Buffer.from('这不是图片，只是改了扩展名的文本文件。\n')
/** A GIF header followed by HTML: a browser sniffing it might render the HTML. */
export const FAKE_GIF_HTML = Buffer.from('GIF89a<html><body><script>alert(document.cookie)</script></body></html>')
