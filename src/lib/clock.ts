/**
 * The app's notion of "now". Production uses the system clock; tests pass a ManualClock
 * to buildApp so lockouts, flood intervals and ban expiries can be tested without waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs: () => number
  /** Whole seconds since the epoch (how times are stored). */
  now: () => number
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => Math.floor(Date.now() / 1000)
}

export class ManualClock implements Clock {
  private ms: number
  constructor (startMs: number = Date.now()) {
    this.ms = startMs
  }

  nowMs = (): number => this.ms
  now = (): number => Math.floor(this.ms / 1000)
  advance (seconds: number): void {
    this.ms += seconds * 1000
  }

  set (ms: number): void {
    this.ms = ms
  }
}
