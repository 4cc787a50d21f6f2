/**
 * A few things allowed at once, the rest waiting their turn for a while: at most `size` holders; a
 * caller beyond them waits in line (first come, first served) for at most `maxWaitMs`, and when
 * `maxWaiting` already wait it is turned away at once. Pure: no I/O, only a timer per waiter.
 */
export class Slots {
  private held = 0
  private readonly line: Array<() => void> = []

  constructor (private readonly size: number, private readonly maxWaiting: number, private readonly maxWaitMs: number) {}

  /** true: a slot is held (give it back with `release`); false: none came free in time, or the line was full. */
  async take (): Promise<boolean> {
    if (this.held < this.size) {
      this.held++
      return true
    }
    if (this.maxWaitMs <= 0 || this.line.length >= this.maxWaiting) return false
    return await new Promise<boolean>((resolve) => {
      const grant = (): void => {
        clearTimeout(timer)
        resolve(true)
      }
      const timer = setTimeout(() => {
        const at = this.line.indexOf(grant)
        if (at !== -1) this.line.splice(at, 1)
        resolve(false)
      }, this.maxWaitMs)
      // A waiting caller must not keep the process alive on its own (a shutdown drains the requests).
      timer.unref()
      this.line.push(grant)
    })
  }

  /** Gives a slot back: to the first in line (the count stays), or free. */
  release (): void {
    const next = this.line.shift()
    if (next !== undefined) next()
    else if (this.held > 0) this.held--
  }

  /** Holders and waiters now (what the tests read). */
  get usage (): { held: number, waiting: number } {
    return { held: this.held, waiting: this.line.length }
  }
}
