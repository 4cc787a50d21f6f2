import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import proxyAddr from '@fastify/proxy-addr'

/**
 * Which reverse proxies are trusted to say who the client is (TRUST_PROXY), in the forms Fastify's
 * `trustProxy` option takes: false (none), true (every hop: anyone can then pick their own address by
 * sending X-Forwarded-For), a hop count, or the proxies' addresses / CIDR ranges (or proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = boolean | number | readonly string[]

/** (address, hop index) → whether that hop is a trusted proxy; proxy-addr walks from the socket outwards. */
export type TrustFunction = (address: string, hop: number) => boolean

/**
 * The one trust function: given to Fastify (which then computes `request.ip` and `request.protocol` with
 * it) and used by the guest page cache's front door, so both see the same client address.
 * A hop count trusts the `n` nearest hops, as proxy-addr and Fastify before 5.x's "fail closed" change
 * defined it (Fastify 5.12 treats a number as "trust nothing", which behind nginx would make every visitor
 * the proxy's address: one lockout would then lock the whole site). A count cannot check who the nearest
 * peer is: it is safe only when the app is reachable solely through those proxies; the address form is.
 */
export function compileTrustProxy (value: TrustProxy): TrustFunction {
  if (value === true) return () => true
  if (value === false) return () => false
  if (typeof value === 'number') return (_address, hop) => hop < value
  return proxyAddr.compile([...value])
}

/** The client's address as Fastify's `request.ip` computes it with the same trust function. */
export function clientAddress (req: IncomingMessage, trust: TrustFunction): string {
  const addresses = proxyAddr.all(req, trust)
  return addresses[addresses.length - 1] ?? ''
}

/** 'https' or 'http' as Fastify's `request.protocol` computes it: X-Forwarded-Proto only from a trusted peer. */
export function requestProtocol (req: IncomingMessage, trust: TrustFunction): string {
  const forwarded = req.headers['x-forwarded-proto']
  if (typeof forwarded === 'string' && forwarded !== '' && trust(req.socket.remoteAddress ?? '', 0)) {
    return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim()
  }
  return (req.socket as TLSSocket).encrypted ? 'https' : 'http'
}
