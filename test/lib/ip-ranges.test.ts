import { formatIpRange, IpRangeSet, ipRangeMessages, parseIpRange, plainAddress, type IpRange } from '../../src/lib/ip-ranges'

function range (raw: string): IpRange {
  const r = parseIpRange(raw)
  if ('error' in r) throw new Error(r.error)
  return r
}

describe('IP ranges (禁止 IP)', () => {
  it('parses addresses and CIDRs of both families, and stores them in one spelling', () => {
    expect(range('203.0.113.7')).toEqual({ address: '203.0.113.7', prefix: 32, family: 'ipv4' })
    expect(formatIpRange(range(' 203.0.113.0/24 '))).toBe('203.0.113.0/24')
    expect(formatIpRange(range('203.0.113.7/32'))).toBe('203.0.113.7')
    expect(range('2001:DB8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' })
    expect(formatIpRange(range('::ffff:198.51.100.1'))).toBe('198.51.100.1')
  })

  it('refuses what is not an address, and prefixes so short a typo bans a continent', () => {
    expect(parseIpRange('')).toEqual({ error: ipRangeMessages.empty })
    for (const bad of ['abc', '300.1.1.1', '1.2.3', '1.2.3.4/', '1.2.3.4/x', '1.2.3.4/24/1', '2001:db8::g', '1.2.3.4 5']) {
      expect({ bad, r: parseIpRange(bad) }).toEqual({ bad, r: { error: ipRangeMessages.invalid } })
    }
    expect(parseIpRange('1.2.3.4/33')).toEqual({ error: ipRangeMessages.prefix })
    expect(parseIpRange('1.0.0.0/7')).toEqual({ error: ipRangeMessages.prefix })
    expect(parseIpRange('2001::/15')).toEqual({ error: ipRangeMessages.prefix })
    expect(parseIpRange('2001:db8::/129')).toEqual({ error: ipRangeMessages.prefix })
  })

  it('matches addresses inside the ranges only, IPv4-mapped IPv6 clients as their IPv4 address', () => {
    const set = new IpRangeSet([range('203.0.113.0/24'), range('198.51.100.9'), range('2001:db8:1::/48')])
    expect(set.has('203.0.113.0')).toBe(true)
    expect(set.has('203.0.113.255')).toBe(true)
    expect(set.has('203.0.114.1')).toBe(false)
    expect(set.has('198.51.100.9')).toBe(true)
    expect(set.has('198.51.100.10')).toBe(false)
    expect(set.has('::ffff:203.0.113.50')).toBe(true)
    expect(set.has('2001:db8:1:ffff::1')).toBe(true)
    expect(set.has('2001:db8:2::1')).toBe(false)
    expect(set.has('not an ip')).toBe(false)
    expect(new IpRangeSet([]).has('203.0.113.1')).toBe(false)
    // A range typed with host bits set covers its whole network.
    expect(new IpRangeSet([range('10.1.2.3/8')]).has('10.200.0.1')).toBe(true)
    expect(plainAddress('::FFFF:1.2.3.4')).toBe('1.2.3.4')
  })

  it('matches hundreds of ranges quickly', () => {
    const ranges: IpRange[] = []
    for (let i = 0; i < 500; i++) ranges.push(range(`10.${i % 250}.${Math.floor(i / 250)}.0/24`))
    const set = new IpRangeSet(ranges)
    const started = process.hrtime.bigint()
    let hits = 0
    for (let i = 0; i < 2000; i++) if (set.has(`10.${i % 250}.1.${i % 250}`)) hits++
    expect(hits).toBe(2000)
    // 2,000 checks over 500 ranges: well under a second even on a shared test machine.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000)
  })
})
