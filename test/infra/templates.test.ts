import nunjucks from 'nunjucks'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { VIEWS_DIR, templateNames } from '../../src/plugins/view'

/**
 * In production the view plugin compiles every template before the first request (src/plugins/view.ts):
 * nunjucks would otherwise compile each on its first use, holding the event loop up to 12 ms each. The list
 * it compiles is every .njk file, and each of them compiles.
 */
describe('templates compiled before the first request', () => {
  it('lists every template, by the names pages and includes use, and each compiles', () => {
    const names = templateNames(VIEWS_DIR)
    expect(names).toEqual(expect.arrayContaining(['layouts/base.njk', 'portal/article.njk', 'partials/_member-menu.njk', 'errors/error.njk']))
    expect(names.every((n) => n.endsWith('.njk') && !n.startsWith('/') && !n.includes('\\'))).toBe(true)
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR), { autoescape: true, trimBlocks: true, lstripBlocks: true })
    for (const name of names) expect(() => env.getTemplate(name, true)).not.toThrow()
  })
})

describe.each(dialects)('a production app on %s', (dialect) => {
  // Watches the compiles from before the app is built (useTestApp builds it in its beforeAll, declared
  // after this one); made per database, as the previous one restored the method in its afterAll.
  // From the first eager compile to the last, a self-rearming setImmediate counts the turns of the event
  // loop, and each compile notes the count it ran at: a turn between two compiles shows as a higher count.
  // Only then: left counting through the whole database setup, the spinning (and a jest.fn recording each
  // turn) filled memory, and the GC pauses that followed made under-pressure shed the first request in CI.
  const names = templateNames(VIEWS_DIR)
  let compiles: jest.SpiedFunction<typeof nunjucks.Environment.prototype.getTemplate>
  let turns = 0
  let counting = false
  const countTurn = (): void => { turns++; if (counting) setImmediate(countTurn) }
  const turnOfEachCompile: number[] = []
  beforeAll(() => {
    // Called back with the environment as `this` (Function.apply below): unbound on purpose.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const getTemplate = nunjucks.Environment.prototype.getTemplate
    compiles = jest.spyOn(nunjucks.Environment.prototype, 'getTemplate').mockImplementation(function (this: nunjucks.Environment, ...args: Parameters<typeof getTemplate>) {
      if (args[1] === true) {
        if (!counting) { counting = true; setImmediate(countTurn) }
        turnOfEachCompile.push(turns)
        if (turnOfEachCompile.length >= names.length) counting = false
      }
      return getTemplate.apply(this, args)
    })
  })
  afterAll(() => { counting = false; compiles.mockRestore() })
  // Load shedding off (test/infra/front-door-gates.test.ts tests it): late in the full suite, on a slow machine, a collection of
  // the test process's own heap held its event loop past under-pressure's second, and the first page of
  // this app was shed with a 503 (CI on 2026-12-01, on SQLite once and on MariaDB once; it passed alone).
  const ctx = useTestApp(dialect, { app: { env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', SESSION_SECRET: 'templates-test-secret-templates-test-secret', SITE_URL: 'http://127.0.0.1:3000' }, loadShedding: { maxEventLoopDelay: 0 } } })

  it('starts with every template compiled and serves pages', async () => {
    // Before the first request: each template asked for once, compiled at once (eagerCompile).
    const eager = compiles.mock.calls.filter((call) => call[1] === true).map((call) => call[0])
    expect(eager).toEqual(names)
    // One template per turn of the event loop, so a slow machine's start never holds it past
    // under-pressure's limit (in CI it did, and the first requests got 503).
    const compilesWithoutTurnBefore = names.filter((_, i) => i > 0 && (turnOfEachCompile[i] ?? 0) <= (turnOfEachCompile[i - 1] ?? 0))
    expect(compilesWithoutTurnBefore).toEqual([])
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain('</html>')
    await ctx.t.agent().get('/login').expect(200)
  })
})
