import zlib from 'node:zlib'
import { GzipAroundValue, acceptsGzip } from '../../src/lib/gzip-parts'

describe('GzipAroundValue', () => {
  const head = Buffer.from('<!doctype html><title>门户文章</title><p>查看: <em>'.repeat(200))
  const tail = Buffer.from('</em></p><footer>濠江社区 😀</footer>'.repeat(200))

  it('composes one valid gzip member around any value, compressed once', () => {
    const parts = new GzipAroundValue(head, tail)
    for (const value of ['0', '12', '307077', '']) {
      const body = parts.compose(value)
      expect(zlib.gunzipSync(body).toString()).toBe(`${head.toString()}${value}${tail.toString()}`)
      expect(body.length).toBeLessThan((head.length + tail.length) / 5)
    }
  })

  it('keeps the CRC right for tails of every length class', () => {
    for (const length of [1, 2, 3, 7, 255, 256, 1023, 4097, 65_537]) {
      const tailOfLength = Buffer.alloc(length, 'a')
      tailOfLength[length - 1] = 0x7a
      const body = new GzipAroundValue(head, tailOfLength).compose('99')
      expect(zlib.gunzipSync(body).equals(Buffer.concat([head, Buffer.from('99'), tailOfLength]))).toBe(true)
    }
  })

  it('survives empty parts', () => {
    const parts = new GzipAroundValue(Buffer.alloc(0), Buffer.alloc(0))
    expect(zlib.gunzipSync(parts.compose('42')).toString()).toBe('42')
  })
})

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['deflate,gzip', true],
    ['x-gzip', true],
    ['gzipx, br', false],
    ['GZIP', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['br', false],
    ['gzip;q=0', false],
    ['*', true],
    ['*;q=0', false],
    ['identity', false],
    ['', false],
    [undefined, false]
  ])('%s → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected)
  })
})
