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
  private readonly tailLength: number
  private readonly tailCrc: number
  /** Appending the tail to any text, as an operation on that text's CRC (see crcShift). */
  private readonly shiftOverTail: Uint32Array
  private readonly tailDeflated: Buffer

  constructor (head: Buffer, tail: Buffer) {
    this.headDeflated = zlib.deflateRawSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    this.headCrc = zlib.crc32(head)
    this.headLength = head.length
    this.tailLength = tail.length
    this.tailCrc = tail.length === 0 ? 0 : zlib.crc32(tail)
    this.shiftOverTail = crcShift(tail.length)
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
    const beforeTail = middle.length === 0 ? this.headCrc : zlib.crc32(middle, this.headCrc)
    trailer.writeUInt32LE((applyShift(this.shiftOverTail, beforeTail) ^ this.tailCrc) >>> 0, 0)
    trailer.writeUInt32LE((this.headLength + middle.length + this.tailLength) >>> 0, 4)
    return Buffer.concat([GZIP_HEADER, this.headDeflated, stored, middle, this.tailDeflated, trailer])
  }
}

/*
 * CRC-32 of a concatenation without reading the second part again (zlib's crc32_combine, which Node does
 * not expose): crc(A + B) = shift(crc(A)) ^ crc(B), where shift multiplies by x^(8·len(B)) modulo the
 * CRC polynomial, a linear map on 32 bits. It is computed once per cached page as a 32×32 bit matrix
 * (one column per bit); each response then applies it with at most 32 XORs instead of a CRC over the
 * whole tail.
 */
function timesMatrix (matrix: Uint32Array, vector: number): number {
  let sum = 0
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if ((v & 1) !== 0) sum ^= matrix[i] as number
  return sum >>> 0
}

function squareMatrix (matrix: Uint32Array): Uint32Array {
  const square = new Uint32Array(32)
  for (let n = 0; n < 32; n++) square[n] = timesMatrix(matrix, matrix[n] as number)
  return square
}

/** The shift operator over `length` bytes as a matrix. */
function crcShift (length: number): Uint32Array {
  // The operator for one zero bit: the reflected polynomial, then shifts.
  let power: Uint32Array = new Uint32Array(32)
  power[0] = 0xedb88320
  for (let n = 1; n < 32; n++) power[n] = (1 << (n - 1)) >>> 0
  power = squareMatrix(squareMatrix(squareMatrix(power))) // one zero byte
  const result = new Uint32Array(32)
  for (let n = 0; n < 32; n++) result[n] = (1 << n) >>> 0 // identity
  let shift: Uint32Array = result
  for (let bytes = length; bytes > 0; bytes = Math.floor(bytes / 2)) {
    if (bytes % 2 === 1) shift = chain(power, shift)
    power = squareMatrix(power)
  }
  return shift
}

/** The matrix of `outer` after `inner`. */
function chain (outer: Uint32Array, inner: Uint32Array): Uint32Array {
  const out = new Uint32Array(32)
  for (let n = 0; n < 32; n++) out[n] = timesMatrix(outer, inner[n] as number)
  return out
}

function applyShift (shift: Uint32Array, crc: number): number {
  return timesMatrix(shift, crc)
}

// Magic, deflate, no flags, no modification time, no extra flags, OS unknown.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])

const GZIP_OR_ANY = /(?:^|[\s,])(?:(?:x-)?gzip|\*)(?:$|[\s,])/i

/**
 * Whether an Accept-Encoding header accepts gzip (by name or `*`, and not with q=0). Kept by hand
 * rather than @fastify/accept-negotiator: asked for ['gzip'], that library answers gzip to
 * `gzip;q=0, *` (an explicit refusal, RFC 9110 §12.5.3) and null to `x-gzip` — checked with its 2.x.
 */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined || header === '') return false
  // What browsers send (`gzip, deflate, br`, no weights) needs no parsing.
  if (!header.includes(';')) return GZIP_OR_ANY.test(header)
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
