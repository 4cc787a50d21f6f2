import { BlockList, isIP } from 'node:net'

/**
 * 禁止 IP: addresses and CIDR ranges (IPv4 and IPv6), parsed and matched with Node's own `net.BlockList`
 * (no dependency; matching is one pass over the ranges, fine for hundreds). Pure: no Fastify, no database.
 */

export interface IpRange { address: string, prefix: number, family: 'ipv4' | 'ipv6' }

export const ipRangeMessages = {
  empty: '请填写 IP 地址或网段',
  invalid: 'IP 地址或网段格式不正确，例如 203.0.113.7、203.0.113.0/24 或 2001:db8::/32',
  prefix: '网段掩码位数不正确（IPv4 为 8–32，IPv6 为 16–128）'
} as const

// Shorter prefixes would ban a large part of the Internet by one typo: refused.
const MIN_PREFIX = { ipv4: 8, ipv6: 16 } as const
const MAX_PREFIX = { ipv4: 32, ipv6: 128 } as const

/** A client address as a matcher sees it: an IPv4-mapped IPv6 address (::ffff:1.2.3.4) is the IPv4 one. */
export function plainAddress (ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  return m?.[1] ?? ip
}

/** Parses `1.2.3.4`, `1.2.3.0/24`, `2001:db8::1`, `2001:db8::/32`; returns the range or a Chinese message. */
export function parseIpRange (raw: string): IpRange | { error: string } {
  const text = raw.trim()
  if (text === '') return { error: ipRangeMessages.empty }
  const slash = text.indexOf('/')
  const address = plainAddress(slash === -1 ? text : text.slice(0, slash))
  const kind = isIP(address)
  if (kind === 0) return { error: ipRangeMessages.invalid }
  const family = kind === 4 ? 'ipv4' : 'ipv6'
  let prefix: number = MAX_PREFIX[family]
  if (slash !== -1) {
    const p = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return { error: ipRangeMessages.invalid }
    prefix = Number(p)
    if (prefix < MIN_PREFIX[family] || prefix > MAX_PREFIX[family]) return { error: ipRangeMessages.prefix }
  }
  return { address: address.toLowerCase(), prefix, family }
}

/** The stored spelling: `1.2.3.4` for a single address, `1.2.3.0/24` for a range. */
export function formatIpRange (range: IpRange): string {
  return range.prefix === MAX_PREFIX[range.family] ? range.address : `${range.address}/${range.prefix}`
}

/** A set of ranges to test client addresses against. */
export class IpRangeSet {
  private readonly list = new BlockList()
  readonly size: number

  constructor (ranges: readonly IpRange[]) {
    for (const r of ranges) this.list.addSubnet(r.address, r.prefix, r.family)
    this.size = ranges.length
  }

  /** Whether a client address (as request.ip gives it) falls in any range; false for anything unparsable. */
  has (ip: string): boolean {
    if (this.size === 0) return false
    const address = plainAddress(ip)
    const kind = isIP(address)
    if (kind === 0) return false
    return this.list.check(address, kind === 4 ? 'ipv4' : 'ipv6')
  }
}
