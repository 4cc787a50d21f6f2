/**
 * A reader for PHP's serialize() format, enough for what Discuz stores in `common_syscache`,
 * `common_setting` and `groupterms`: null, booleans, integers, floats, strings and arrays (objects are
 * read as arrays of their properties). PHP string lengths count BYTES, so the input is read as UTF-8
 * bytes, never as JavaScript characters. Throws `PhpUnserializeError` on anything malformed.
 */

export type PhpValue = null | boolean | number | string | PhpArray
/** A PHP array: its entries in order, keys as strings (PHP's integer keys become '1', '2' …). */
export interface PhpArray { readonly kind: 'array', readonly entries: ReadonlyArray<readonly [string, PhpValue]> }

export class PhpUnserializeError extends Error {}

export function phpUnserialize (input: string | Buffer): PhpValue {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  let at = 0
  const fail = (what: string): never => { throw new PhpUnserializeError(`${what} at byte ${at}`) }
  const expect = (ch: string): void => {
    if (bytes[at] !== ch.charCodeAt(0)) fail(`expected "${ch}"`)
    at++
  }
  const readUntil = (end: string): string => {
    const stop = bytes.indexOf(end.charCodeAt(0), at)
    if (stop < 0) fail(`missing "${end}"`)
    const text = bytes.toString('latin1', at, stop)
    at = stop + 1
    return text
  }
  const readInt = (end: string): number => {
    const text = readUntil(end)
    if (!/^[+-]?\d+$/.test(text)) fail('bad integer')
    return Number(text)
  }
  const value = (depth: number): PhpValue => {
    if (depth > 64) fail('nested too deep')
    const type = String.fromCharCode(bytes[at] ?? 0)
    at++
    if (type === 'N') { expect(';'); return null }
    expect(':')
    switch (type) {
      case 'b': { const n = readInt(';'); if (n !== 0 && n !== 1) fail('bad boolean'); return n === 1 }
      case 'i': return readInt(';')
      case 'd': {
        const text = readUntil(';')
        const n = text === 'INF' ? Infinity : text === '-INF' ? -Infinity : Number(text)
        if (Number.isNaN(n) && text !== 'NAN') fail('bad float')
        return n
      }
      case 's': {
        const length = readInt(':')
        expect('"')
        if (length < 0 || at + length > bytes.length) fail('string runs past the end')
        const text = bytes.toString('utf8', at, at + length)
        at += length
        expect('"'); expect(';')
        return text
      }
      case 'a': case 'O': {
        if (type === 'O') { readInt(':'); expect('"'); readUntil('"'); expect(':') }
        const count = readInt(':')
        expect('{')
        const entries: Array<[string, PhpValue]> = []
        for (let i = 0; i < count; i++) {
          const key = value(depth + 1)
          if (typeof key === 'string') entries.push([key, value(depth + 1)])
          else if (typeof key === 'number') entries.push([String(key), value(depth + 1)])
          else fail('bad array key')
        }
        expect('}')
        return { kind: 'array', entries }
      }
      default: return fail(`unknown type "${type}"`)
    }
  }
  const result = value(0)
  if (at !== bytes.length) fail('trailing bytes')
  return result
}

export function isPhpArray (v: PhpValue | undefined): v is PhpArray {
  return typeof v === 'object' && v !== null && v.kind === 'array'
}

/** The value under `key` in a PHP array, or undefined. */
export function phpGet (v: PhpValue | undefined, key: string | number): PhpValue | undefined {
  if (!isPhpArray(v)) return undefined
  return v.entries.find(([k]) => k === String(key))?.[1]
}

/** Writes a value as PHP serialize() does (test fixtures build `common_syscache` rows with it). */
export function phpSerialize (v: PhpValue | Record<string, unknown>): string {
  if (v === null) return 'N;'
  if (typeof v === 'boolean') return `b:${v ? 1 : 0};`
  if (typeof v === 'number') return Number.isInteger(v) ? `i:${v};` : `d:${v};`
  if (typeof v === 'string') return `s:${Buffer.byteLength(v, 'utf8')}:"${v}";`
  const entries = 'kind' in v && v.kind === 'array' ? (v as PhpArray).entries : Object.entries(v)
  const key = (k: string): string => /^(0|-?[1-9]\d*)$/.test(k) ? `i:${k};` : phpSerialize(k)
  return `a:${entries.length}:{${entries.map(([k, x]) => key(k) + phpSerialize(x as PhpValue)).join('')}}`
}
