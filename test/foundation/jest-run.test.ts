import { spawn } from 'node:child_process'
import path from 'node:path'
import { dialects } from '../helpers/database'

const ROOT = path.join(__dirname, '..', '..')
const WARNING = 'TEST_MYSQL_URL is not set'

/** Runs Jest itself on two database-backed test files (app, pools, view-count timer) and collects what it prints. */
async function runJest (mysqlUrl: string | undefined): Promise<{ code: number | null, output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.JEST_WORKER_ID
  if (mysqlUrl === undefined) delete env.TEST_MYSQL_URL
  else env.TEST_MYSQL_URL = mysqlUrl
  const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', '--ci', 'test/foundation/skeleton.test.ts', 'test/portal/views.test.ts'], { cwd: ROOT, env })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  // Without forceExit an open handle keeps Jest alive for ever: stop it and fail with its output.
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 100000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, output }
}

describe.each(dialects)('a Jest run on %s', (dialect) => {
  it('exits by itself (no open handle, no forceExit) and warns about TEST_MYSQL_URL at most once', async () => {
    const { code, output } = await runJest(dialect === 'sqlite' ? undefined : process.env.TEST_MYSQL_URL)
    expect(output).toMatch(/Tests: +\d+ passed/)
    expect(output).not.toContain('Force exiting Jest')
    expect(output).not.toContain('did not exit')
    expect(code).toBe(0)
    expect(output.split(WARNING).length - 1).toBe(dialect === 'sqlite' ? 1 : 0)
  }, 120000)
})
