import { ErrorRing } from '../../src/lib/error-ring'

describe('ErrorRing', () => {
  const entry = (i: number): { at: number, requestId: string, method: string, url: string, message: string } => ({ at: i, requestId: `r${i}`, method: 'GET', url: `/p/${i}`, message: `m${i}` })

  it('lists newest first before and after it wraps, never holding more than its capacity', () => {
    const ring = new ErrorRing(3)
    expect(ring.list()).toEqual([])
    ring.record(entry(1))
    ring.record(entry(2))
    expect(ring.list().map((e) => e.at)).toEqual([2, 1])
    for (let i = 3; i <= 7; i++) ring.record(entry(i))
    expect(ring.list().map((e) => e.at)).toEqual([7, 6, 5])
    expect(ring.count).toBe(7)
  })

  it('cuts long URLs and messages', () => {
    const ring = new ErrorRing(1)
    ring.record({ ...entry(1), url: '/' + 'a'.repeat(1000), message: 'b'.repeat(1000) })
    const [e] = ring.list()
    expect(e?.url.length).toBe(300)
    expect(e?.message.endsWith('…')).toBe(true)
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new ErrorRing(0)).toThrow()
    expect(() => new ErrorRing(1.5)).toThrow()
  })
})
