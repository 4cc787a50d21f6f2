import { formatDate, formatDateTime, zonedParts } from '../../src/lib/dates'

describe('Discuz dates in the site time zone', () => {
  it('formats as Y-n-j H:i without leading zeros on month and day', () => {
    // 2023-09-30 18:53 UTC is 2023-10-1 02:53 in Shanghai.
    const t = Date.UTC(2023, 8, 30, 18, 53) / 1000
    expect(formatDateTime(t, 'Asia/Shanghai')).toBe('2023-10-1 02:53')
    expect(formatDate(t, 'Asia/Shanghai')).toBe('2023-10-1')
    expect(formatDateTime(t, 'UTC')).toBe('2023-9-30 18:53')
  })

  it('agrees with Intl across DST changes and odd offsets', () => {
    for (const timeZone of ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Asia/Shanghai']) {
      const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      // Every 3.5 hours or so over a year: crosses every transition of these zones.
      for (let t = Date.UTC(2024, 0, 1) / 1000; t < Date.UTC(2025, 0, 1) / 1000; t += 433 * 29) {
        const expected: Record<string, number> = {}
        for (const p of f.formatToParts(new Date(t * 1000))) if (p.type !== 'literal') expected[p.type] = Number(p.value)
        expect(zonedParts(t, timeZone)).toEqual(expected)
      }
    }
  })
})
