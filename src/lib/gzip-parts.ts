import zlib from 'node:zlib'

/**
 * A page compressed once, though one small value in it (a view count) changes on every response.
 *
 * gzip allows it: the text before the value and the text after it are deflated separately, the
 * first part ending on a byte boundary (a sync flush) and not final, and the value goes between them
 * as a stored (uncompressed) block. A deflate stream may be cut into blocks anywhere, and the second
 * part only refers back into itself, so the three pieces make one valid stream. The gzip trailer holds
 * the CRC-32 and the length of the whole text; the CRC is continued from the first part's, so each
 * response costs one CRC over the second part and a copy, never a compression.
 */
export class GzipAroundValue {
  private readonly headDeflated: Buffer
  private readonly headCrc: number
  private readonly headLength: number
  private readonly tail: Buffer
  private readonly tailDeflated: Buffer

  constructor (head: Buffer, tail: Buffer) {
    this.headDeflated = zlib.deflateRawSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    this.headCrc = zlib.crc32(head)
    this.headLength = head.length
    this.tail = tail
    this.tailDeflated = zlib.deflateRawSync(tail)
  }

  /** The whole page as one gzip member with `value` (at most 65,535 bytes) between the parts. */
  compose (value: string): Buffer {
    const middle = Buffer.from(value)
    const stored = Buffer.alloc(5)
    // A stored block, not the last: BFINAL 0, BTYPE 00, then LEN and its complement (little-endian).
    stored.writeUInt16LE(middle.length, 1)
    stored.writeUInt16LE(~middle.length & 0xffff, 3)
    const trailer = Buffer.alloc(8)
    trailer.writeUInt32LE(continueCrc(this.tail, continueCrc(middle, this.headCrc)) >>> 0, 0)
    trailer.writeUInt32LE((this.headLength + middle.length + this.tail.length) >>> 0, 4)
    return Buffer.concat([GZIP_HEADER, this.headDeflated, stored, middle, this.tailDeflated, trailer])
  }
}

/** CRC-32 of `data` continued from `crc`. (Node 20's zlib.crc32 answered 0 for an empty buffer that had been deflated.) */
function continueCrc (data: Buffer, crc: number): number {
  return data.length === 0 ? crc : zlib.crc32(data, crc)
}

// Magic, deflate, no flags, no modification time, no extra flags, OS unknown.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])

/** Whether an Accept-Encoding header accepts gzip (by name or `*`, and not with q=0). */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined || header === '') return false
  let star = false
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const refused = q !== undefined && Number(q.slice(2)) === 0
    if (name === 'gzip' || name === 'x-gzip') return !refused
    if (name === '*') star = !refused
  }
  return star
}
