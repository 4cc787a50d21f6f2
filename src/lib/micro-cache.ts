import { LRUCache } from 'lru-cache'

/**
 * A very short cache for guest pages (about a second). When a hot article is shared in a group
 * chat, thousands of guests ask for the same page within a second: one renders it, the rest get
 * the copy. Views still count on every hit (the caller counts before serving). Keys are bounded
 * by an LRU, and entries expire by the caller's clock so tests can drive it.
 */
export class MicroCache<V> {
  private readonly entries: LRUCache<string, { value: V, at: number }>

  // A small bound: entries live a second, so the pages hot within that second are all it needs to hold
  // (expired entries are only dropped when read or pushed out, so the bound is also the memory ceiling).
  constructor (private readonly ttlMs: number, max = 500) {
    this.entries = new LRUCache({ max })
  }

  get (key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (nowMs - entry.at >= this.ttlMs || nowMs < entry.at) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set (key: string, value: V, nowMs: number): void {
    if (this.ttlMs <= 0) return
    this.entries.set(key, { value, at: nowMs })
  }

  clear (): void { this.entries.clear() }
}
