import crypto from 'node:crypto'
import type { FastifyRequest } from 'fastify'

/**
 * A salted hash of the visitor's IP address and User-Agent: enough to tell guests apart
 * for view counting, login throttling and comment IPs, without storing the raw address.
 */
export function visitorHash (secret: string, ip: string, userAgent: string): string {
  return crypto.createHmac('sha256', secret).update(ip).update('\0').update(userAgent).digest('hex').slice(0, 32)
}

export function ipHash (secret: string, ip: string): string {
  return crypto.createHmac('sha256', secret).update('ip\0').update(ip).digest('hex').slice(0, 32)
}

export function userAgentOf (request: FastifyRequest): string {
  const ua = request.headers['user-agent']
  return typeof ua === 'string' ? ua : ''
}

const CRAWLER_PATTERN = /bot|crawl|spider|slurp|baiduspider|sogou|yisouspider|bytespider|360spider|bingpreview|facebookexternalhit|curl\/|wget|python-requests|headless|lighthouse|pingdom|uptime/i

/** Known crawlers and tools: their requests do not count as views. */
export function isCrawler (userAgent: string): boolean {
  return userAgent === '' || CRAWLER_PATTERN.test(userAgent)
}
