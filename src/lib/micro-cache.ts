import { LRUCache } from 'lru-cache'

/**
 * A very short cache for guest pages (about a second). When a hot article is shared in a group
 * chat, thousands of guests ask for the same page within a second: one renders it, the rest get
 * the copy. Views still count on every hit (the caller counts before serving). Keys are bounded
 * by an LRU, and entries expire by the caller's clock so tests can drive it.
 *
 * lru-cache's own `ttl`/`allowStale`/`perf` were tried here and do not fit (lru-cache 11): the time is
 * the caller's, passed on each call (services take `nowMs` and tests drive a ManualClock), while `perf`
 * is one clock per cache; an entry set at time 0 counts as having no TTL (`!!start`), and an entry
 * expires only past its TTL (`>`), where a one-second copy must be gone at the second; and the stale
 * window (`getStale`, 10 s for guest pages while the next one renders) is not the TTL, which
 * `allowStale` cannot express. So lru-cache bounds the keys, and the two comparisons here keep the
 * time; `getOrLoad`'s single flight is what `fetch` would give, kept for the same clock reason.
 */
export class MicroCache<V> {
  private readonly entries: LRUCache<string, { value: V, at: number }>
  private readonly loading = new Map<string, Promise<V>>()

  // A small bound: entries live a second, so the pages hot within that second are all it needs to hold
  // (expired entries stay until pushed out, for getStale, so the bound is also the memory ceiling).
  constructor (private readonly ttlMs: number, max = 500) {
    this.entries = new LRUCache({ max })
  }

  get (key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (nowMs - entry.at >= this.ttlMs || nowMs < entry.at) return undefined
    return entry.value
  }

  /** The value even after it expired, when it is less than `maxAgeMs` old: to answer while a fresh one is made. */
  getStale (key: string, nowMs: number, maxAgeMs: number): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || nowMs - entry.at >= maxAgeMs || nowMs < entry.at) return undefined
    return entry.value
  }

  set (key: string, value: V, nowMs: number): void {
    if (this.ttlMs <= 0) return
    this.entries.set(key, { value, at: nowMs })
  }

  /**
   * The cached value, or the result of `load`. Concurrent misses for one key share a single load:
   * when a page expires under a burst, one request queries the database and the others wait for it
   * (without this, 64 connections would run the same heavy queries at once).
   */
  async getOrLoad (key: string, nowMs: number, load: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0) return await load()
    const cached = this.get(key, nowMs)
    if (cached !== undefined) return cached
    let pending = this.loading.get(key)
    if (pending === undefined) {
      const mine: Promise<V> = load().then((value) => {
        // Not kept when the key was deleted meanwhile: a session ended during the load stays ended.
        if (this.loading.get(key) === mine) this.set(key, value, nowMs)
        return value
      }).finally(() => {
        if (this.loading.get(key) === mine) this.loading.delete(key)
      })
      pending = mine
      this.loading.set(key, pending)
    }
    return await pending
  }

  delete (key: string): void {
    this.entries.delete(key)
    this.loading.delete(key)
  }

  /** Everything forgotten, loads in flight included: what they bring back is not kept. */
  clear (): void {
    this.entries.clear()
    this.loading.clear()
  }
}
