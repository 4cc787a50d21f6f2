/**
 * The dashboard's last errors (站点状态): a bounded in-memory ring of the most recent 5xx answers of
 * this process. Not a log file: it forgets on restart and never grows past its capacity, and it keeps
 * no stack (the page shows it to admins; the stack stays in the log, found by the request id).
 */

export interface RecordedError {
  /** Unix milliseconds. */
  at: number
  requestId: string
  method: string
  url: string
  message: string
}

const MAX_URL = 300
const MAX_MESSAGE = 300

function cut (s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

export class ErrorRing {
  private readonly entries: RecordedError[] = []
  private next = 0
  private total = 0

  constructor (readonly capacity = 50) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('ErrorRing capacity must be a positive integer')
  }

  record (entry: RecordedError): void {
    const clean = { ...entry, url: cut(entry.url, MAX_URL), message: cut(entry.message, MAX_MESSAGE) }
    if (this.entries.length < this.capacity) this.entries.push(clean)
    else this.entries[this.next] = clean
    this.next = (this.next + 1) % this.capacity
    this.total++
  }

  /** Newest first. */
  list (): RecordedError[] {
    const n = this.entries.length
    const out: RecordedError[] = []
    for (let i = 1; i <= n; i++) {
      const e = this.entries[(this.next - i + n) % n]
      if (e !== undefined) out.push(e)
    }
    return out
  }

  /** Errors recorded since the process started, including those the ring has forgotten. */
  get count (): number {
    return this.total
  }
}
