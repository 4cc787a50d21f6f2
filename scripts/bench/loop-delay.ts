import fs from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * Preloaded into the app's processes by the bench (`--import`), never by the app itself: the event loop's
 * delay measured by perf_hooks (10 ms resolution, the finest that costs nothing noticeable). On SIGWINCH (ignored
 * by default, so harmless to any other process; SIGUSR2 is a shutdown signal to close-with-grace) a
 * process writes the largest delay since the last signal to `<BENCH_LOOP_DELAY_DIR>/loop-<pid>.json` and
 * starts again, so the bench reads one figure per scenario from every process (cluster workers too).
 */
const dir = process.env.BENCH_LOOP_DELAY_DIR
if (dir !== undefined && dir !== '') {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  process.on('SIGWINCH', () => {
    const figure = { pid: process.pid, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 }
    histogram.reset()
    // Written aside and renamed: the bench never reads half a file.
    const file = path.join(dir, `loop-${process.pid}.json`)
    fs.writeFileSync(`${file}.part`, JSON.stringify(figure))
    fs.renameSync(`${file}.part`, file)
  })
}
