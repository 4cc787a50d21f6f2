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
  // A self-rearming setImmediate calls `turn` once per turn of the event loop; jest numbers every mock
  // call in one order, so a turn between two compiles shows in their numbers.
  let compiles: jest.SpiedFunction<typeof nunjucks.Environment.prototype.getTemplate>
  const turn = jest.fn()
  let counting = true
  const countTurn = (): void => { turn(); if (counting) setImmediate(countTurn) }
  beforeAll(() => {
    compiles = jest.spyOn(nunjucks.Environment.prototype, 'getTemplate')
    setImmediate(countTurn)
  })
  afterAll(() => { counting = false; compiles.mockRestore() })
  const ctx = useTestApp(dialect, { app: { env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', SESSION_SECRET: 'templates-test-secret-templates-test-secret', SITE_URL: 'http://127.0.0.1:3000' } } })

  it('starts with every template compiled and serves pages', async () => {
    // Before the first request: each template asked for once, compiled at once (eagerCompile).
    const eager = compiles.mock.calls.filter((call) => call[1] === true).map((call) => call[0])
    expect(eager).toEqual(templateNames(VIEWS_DIR))
    // One template per turn of the event loop, so a slow machine's start never holds it past
    // under-pressure's limit (in CI it did, and the first requests got 503).
    const eagerOrder = compiles.mock.invocationCallOrder.filter((_, i) => compiles.mock.calls[i]?.[1] === true)
    const turnOrder = turn.mock.invocationCallOrder
    const compilesWithoutTurnBetween = eagerOrder.slice(1).filter((order, i) => !turnOrder.some((t) => t > (eagerOrder[i] ?? order) && t < order))
    expect(compilesWithoutTurnBetween).toEqual([])
    const home = await ctx.t.agent().get('/').expect(200)
    expect(home.text).toContain('</html>')
    await ctx.t.agent().get('/login').expect(200)
  })
})
