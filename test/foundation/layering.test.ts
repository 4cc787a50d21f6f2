import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

/**
 * The layering rules (.dependency-cruiser.cjs, run by `npm run lint`) shown to refuse wrong imports:
 * a small tree written to a temp directory, with one wrong arrow per rule next to the allowed ones,
 * cruised by the project's own rules file through dependency-cruiser's CLI (it is an ES module only,
 * so the CLI rather than its API from this CommonJS test). Each rule must fire on its wrong arrow,
 * and no allowed arrow may be reported.
 */

const ROOT = path.resolve(__dirname, '../..')
const RULES = path.join(ROOT, '.dependency-cruiser.cjs')
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
const run = promisify(execFile)

/** path → source. Comments name the rule a file breaks; files without one break none. */
const FIXTURE: Readonly<Record<string, string>> = {
  'src/lib/pure.ts': 'export const one = 1\n',
  'src/lib/uses-feature.ts': "import { alpha } from '../features/alpha'\nexport const x = alpha\n", // lib-is-pure
  'src/lib/uses-fastify.ts': "import Fastify from 'fastify'\nexport const make = Fastify\n", // lib-is-pure
  'src/lib/uses-proxy-addr.ts': "import proxyAddr from '@fastify/proxy-addr'\nexport const p = proxyAddr\n", // allowed (framework-free)
  'src/lib/cycle-a.ts': "import { b } from './cycle-b'\nexport const a = (): number => b() + 1\n", // no-circular
  'src/lib/cycle-b.ts': "import { a } from './cycle-a'\nexport const b = (): number => a() - 1\n", // no-circular
  'src/plugins/ok.ts': "import { one } from '../lib/pure'\nexport const ok = one\n",
  'src/plugins/uses-feature.ts': "import { alpha } from '../features/alpha/index'\nexport const y = alpha\n", // plugins-know-no-feature
  'src/db/uses-plugin.ts': "import { ok } from '../plugins/ok'\nexport const z = ok\n", // db-knows-no-feature
  'src/db/uses-feature.ts': "import { alpha } from '../features/alpha'\nexport const w = alpha\n", // db-knows-no-feature
  'src/features/alpha/repository.ts': "import { one } from '../../lib/pure'\nexport const rows = [one]\n",
  'src/features/alpha/index.ts': "import { rows } from './repository'\nimport { ok } from '../../plugins/ok'\nexport const alpha = rows.length + ok\n",
  'src/features/beta/index.ts': "import { alpha } from '../alpha'\nimport { rows } from '../alpha/repository'\nexport const beta = alpha + rows.length\n", // features-meet-through-index (the repository only)
  'src/app.ts': "import { beta } from './features/beta'\nimport { tool } from '../scripts/tool'\nexport const app = beta + tool\n", // nothing-imports-scripts
  'scripts/tool.ts': "import { helper } from '../test/helper'\nexport const tool = helper\n", // nothing-imports-tests
  'test/helper.ts': 'export const helper = 2\n',
  'migrations/20260101000000_create_things.ts': "import { one } from '../src/lib/pure'\nexport const up = one\n" // migrations-stand-alone
}

interface Violation { from: string, to: string, rule: { name: string } }

let dir: string
let violations: Violation[]
let exitCode: number

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-layering-'))
  for (const [file, source] of Object.entries(FIXTURE)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), source)
  }
  // The rules read tsconfig.json from the working directory; packages resolve through a link to ours.
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true, esModuleInterop: true } }))
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  const args = [DEPCRUISE, 'src', 'scripts', 'migrations', '--config', RULES]
  // The details as JSON (an exit code of 0 whatever it finds: a report, not a check) …
  const { stdout } = await run(process.execPath, [...args, '--output-type', 'json'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 })
  violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations
  // … and the check exactly as `npm run lint` runs it, which exits with the number of errors.
  try {
    await run(process.execPath, args, { cwd: dir })
    exitCode = 0
  } catch (err) {
    exitCode = (err as { code?: number }).code ?? -1
  }
}, 60000)

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The report's arrows of one rule, as "from → to" with package paths shortened to the package name. */
function arrowsOf (rule: string): string[] {
  return violations.filter((v) => v.rule.name === rule)
    .map((v) => `${v.from} → ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`)
    .sort()
}

describe('the layering rules (.dependency-cruiser.cjs)', () => {
  it('fail the check (a non-zero exit, so `npm run lint` fails)', () => {
    expect(exitCode).toBeGreaterThan(0)
  })

  it('keep lib/ pure: no feature and no Fastify (proxy-addr, framework-free, is allowed)', () => {
    expect(arrowsOf('lib-is-pure')).toEqual([
      'src/lib/uses-fastify.ts → node_modules/fastify/fastify.js',
      'src/lib/uses-feature.ts → src/features/alpha/index.ts'
    ])
  })

  it('refuse a cycle', () => {
    const cycles = arrowsOf('no-circular')
    expect(cycles).toEqual(expect.arrayContaining(['src/lib/cycle-a.ts → src/lib/cycle-b.ts']))
    expect(cycles.every((arrow) => arrow.includes('cycle-'))).toBe(true)
  })

  it('keep plugins from features', () => {
    expect(arrowsOf('plugins-know-no-feature')).toEqual(['src/plugins/uses-feature.ts → src/features/alpha/index.ts'])
  })

  it('keep db/ from plugins and features', () => {
    expect(arrowsOf('db-knows-no-feature')).toEqual([
      'src/db/uses-feature.ts → src/features/alpha/index.ts',
      'src/db/uses-plugin.ts → src/plugins/ok.ts'
    ])
  })

  it('let a feature meet another only through its index.ts', () => {
    // beta's import of alpha's index and alpha's of its own repository are allowed.
    expect(arrowsOf('features-meet-through-index')).toEqual(['src/features/beta/index.ts → src/features/alpha/repository.ts'])
  })

  it('keep migrations, app code and scripts in their places', () => {
    expect(arrowsOf('migrations-stand-alone')).toEqual(['migrations/20260101000000_create_things.ts → src/lib/pure.ts'])
    expect(arrowsOf('nothing-imports-scripts')).toEqual(['src/app.ts → scripts/tool.ts'])
    expect(arrowsOf('nothing-imports-tests')).toEqual(['scripts/tool.ts → test/helper.ts'])
  })

  it('report nothing else: every rule above fired, and no allowed arrow did', () => {
    const rules = new Set(violations.map((v) => v.rule.name))
    expect([...rules].sort()).toEqual([
      'db-knows-no-feature', 'features-meet-through-index', 'lib-is-pure', 'migrations-stand-alone',
      'no-circular', 'nothing-imports-scripts', 'nothing-imports-tests', 'plugins-know-no-feature'
    ])
  })

  it('run as part of `npm run lint`, on the app, the scripts and the migrations', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.lint).toMatch(/depcruise src scripts migrations --config \.dependency-cruiser\.cjs/)
  })
})
