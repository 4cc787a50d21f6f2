// CI's supply-chain gate: `npm audit --omit=dev` must report no high or critical advisory.
// The advisory service is a separate endpoint of the registry; where it cannot be reached (some mirrors answer
// 405 to its POST), say so loudly and go on, rather than fail every build on the network or pass in silence.
import { spawnSync } from 'node:child_process'

interface AuditReport {
  message?: string
  metadata?: { vulnerabilities?: Record<'low' | 'moderate' | 'high' | 'critical', number> }
  vulnerabilities?: Record<string, { severity: string, range?: string }>
}

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' })
let report: AuditReport
try {
  report = JSON.parse(run.stdout) as AuditReport
} catch {
  console.error('npm audit printed no JSON:\n' + run.stdout + run.stderr)
  process.exit(1)
}
const counts = report.metadata?.vulnerabilities
if (counts === undefined) {
  console.warn(`npm audit: NOT CHECKED — the advisory service did not answer (${report.message ?? 'no report'}).`)
  process.exit(0)
}
console.log(`npm audit --omit=dev: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`)
if (counts.high + counts.critical > 0) {
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    if (v.severity === 'high' || v.severity === 'critical') console.error(`  ${v.severity}: ${name} ${v.range ?? ''}`)
  }
  process.exit(1)
}
