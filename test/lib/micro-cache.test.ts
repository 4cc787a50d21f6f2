import { MicroCache } from '../../src/lib/micro-cache'

describe('MicroCache', () => {
  it('shares one load among concurrent misses and serves the copy until it expires', async () => {
    const cache = new MicroCache<number>(1000)
    let loads = 0
    const load = async (): Promise<number> => { loads++; await new Promise((resolve) => setTimeout(resolve, 10)); return loads }
    const values = await Promise.all(Array.from({ length: 20 }, async () => await cache.getOrLoad('k', 5000, load)))
    expect(loads).toBe(1)
    expect(new Set(values)).toEqual(new Set([1]))
    expect(await cache.getOrLoad('k', 5999, load)).toBe(1)
    expect(await cache.getOrLoad('k', 6000, load)).toBe(2) // a second later: loaded again
  })

  it('does not keep a failed load, and caches nothing with a zero lifetime', async () => {
    const cache = new MicroCache<string>(1000)
    await expect(cache.getOrLoad('k', 0, async () => { throw new Error('boom') })).rejects.toThrow('boom')
    expect(await cache.getOrLoad('k', 0, async () => 'ok')).toBe('ok')
    const off = new MicroCache<number>(0)
    let n = 0
    await off.getOrLoad('k', 0, async () => ++n)
    await off.getOrLoad('k', 0, async () => ++n)
    expect(n).toBe(2)
  })

  it('gives an expired value to getStale until it is too old, never to get', () => {
    const cache = new MicroCache<string>(1000)
    cache.set('k', 'old', 10_000)
    expect(cache.get('k', 10_999)).toBe('old')
    expect(cache.get('k', 11_000)).toBeUndefined()
    expect(cache.getStale('k', 11_000, 5000)).toBe('old')
    expect(cache.getStale('k', 14_999, 5000)).toBe('old')
    expect(cache.getStale('k', 15_000, 5000)).toBeUndefined()
    expect(cache.getStale('other', 11_000, 5000)).toBeUndefined()
  })

  it('keeps no value whose load began before a delete (a session ended meanwhile stays ended)', async () => {
    const cache = new MicroCache<string>(1000)
    let release = (): void => {}
    const slow = async (): Promise<string> => { await new Promise<void>((resolve) => { release = resolve }); return 'read before the logout' }
    const waiting = cache.getOrLoad('s', 0, slow)
    cache.delete('s')
    release()
    expect(await waiting).toBe('read before the logout') // the request already waiting gets what it asked for
    expect(cache.get('s', 1)).toBeUndefined()
    expect(await cache.getOrLoad('s', 1, async () => 'after')).toBe('after')
  })
})
