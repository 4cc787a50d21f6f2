import fs from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * Preloaded into the app's processes by the bench (`--import`), never by the app itself: the event loop's
 * delay measured by perf_hooks. The histogram records the time between two ticks of its timer, so an idle
 * loop records the resolution itself (measured: 9–14 ms at 10 ms): the figure written is that time minus
 * the resolution, how late the timer fired, as @fastify/under-pressure computes it. At 1 ms resolution a
 * block of the loop shows within 1 ms of its length (at 10 ms it showed anywhere up to 10 ms over or
 * under, depending on where in the tick it began). On SIGWINCH (ignored
 * by default, so harmless to any other process; SIGUSR2 is a shutdown signal to close-with-grace) a
 * process writes the largest delay since the last signal to `<BENCH_LOOP_DELAY_DIR>/loop-<pid>.json` and
 * starts again, so the bench reads one figure per scenario from every process (cluster workers too).
 */
const dir = process.env.BENCH_LOOP_DELAY_DIR
if (dir !== undefined && dir !== '') {
  const resolutionMs = 1
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs })
  histogram.enable()
  const lateMs = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs)
  process.on('SIGWINCH', () => {
    const figure = { pid: process.pid, maxMs: lateMs(histogram.max), p99Ms: lateMs(histogram.percentile(99)) }
    histogram.reset()
    // Written aside and renamed: the bench never reads half a file.
    const file = path.join(dir, `loop-${process.pid}.json`)
    fs.writeFileSync(`${file}.part`, JSON.stringify(figure))
    fs.renameSync(`${file}.part`, file)
  })
}
