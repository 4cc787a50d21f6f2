import crypto from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * A salted hash of the visitor's IP address and User-Agent: enough to tell guests apart
 * for view counting, login throttling and comment IPs, without storing the raw address.
 */
export function visitorHash (secret: string, ip: string, userAgent: string): string {
  // Remembered per (ip, user agent): an HMAC per page view is a visible share of a cached page's cost.
  const key = `${ip}\0${userAgent}`
  let cache = recentVisitors.get(secret)
  if (cache === undefined) {
    cache = new LRUCache<string, string>({ max: 20_000 })
    recentVisitors.set(secret, cache)
  }
  let hash = cache.get(key)
  if (hash === undefined) {
    hash = crypto.createHmac('sha256', secret).update(ip).update('\0').update(userAgent).digest('hex').slice(0, 32)
    cache.set(key, hash)
  }
  return hash
}

// One cache per secret (a process normally has one; tests may build apps with different ones).
const recentVisitors = new Map<string, LRUCache<string, string>>()

export function ipHash (secret: string, ip: string): string {
  return crypto.createHmac('sha256', secret).update('ip\0').update(ip).digest('hex').slice(0, 32)
}

/** The User-Agent of a Fastify request or of a raw one. */
export function userAgentOf (request: { headers: IncomingHttpHeaders }): string {
  const ua = request.headers['user-agent']
  return typeof ua === 'string' ? ua : ''
}

const CRAWLER_PATTERN = /bot|crawl|spider|slurp|baiduspider|sogou|yisouspider|bytespider|360spider|bingpreview|facebookexternalhit|curl\/|wget|python-requests|headless|lighthouse|pingdom|uptime/i

/** Known crawlers and tools: their requests do not count as views. */
export function isCrawler (userAgent: string): boolean {
  return userAgent === '' || CRAWLER_PATTERN.test(userAgent)
}
