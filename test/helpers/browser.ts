import fs from 'node:fs'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { chromium } from 'playwright-core'

/** Debian's chromium (the README's CI installs it); another binary with CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}

/**
 * A browser context whose pages report what must never happen on any page: a console error, an uncaught
 * error, a failed request, an error status (other than those a test expects and lists in `allowStatus`),
 * and an image without width and height (it shifts the layout when it loads).
 */
export interface WatchedContext {
  context: BrowserContext
  problems: string[]
  /** Statuses a step expects (a 403 page the test asks for): not problems. */
  allowStatus: Set<number>
}

export async function watchedContext (browser: Browser, options: BrowserContextOptions): Promise<WatchedContext> {
  const context = await browser.newContext(options)
  const w: WatchedContext = { context, problems: [], allowStatus: new Set() }
  context.on('page', (page: Page) => {
    page.on('console', (msg) => { if (msg.type() === 'error') w.problems.push(`console error on ${page.url()}: ${msg.text()}`) })
    page.on('pageerror', (err) => { w.problems.push(`page error on ${page.url()}: ${err.message}`) })
    page.on('requestfailed', (req) => {
      // The browser cancelling a request because the page moved on is not the server failing it.
      if (req.failure()?.errorText === 'net::ERR_ABORTED') return
      w.problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? ''})`)
    })
    page.on('response', (res) => {
      if (res.status() >= 400 && !w.allowStatus.has(res.status())) w.problems.push(`${res.status()} for ${new URL(res.url()).pathname}`)
    })
  })
  return w
}

/**
 * Images without both width and height attributes (a string: tsconfig has no DOM types). Every picture
 * is checked, those in article bodies too: the renderer writes the uploads table's sizes into them.
 */
const IMAGES_WITHOUT_SIZE = `(() => Array.from(document.images).filter((i) => !i.getAttribute('width') || !i.getAttribute('height')).map((i) => i.outerHTML.slice(0, 120)))()`

export async function imagesWithoutSize (page: Page): Promise<string[]> {
  return await page.evaluate<string[]>(IMAGES_WITHOUT_SIZE)
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core'), 'utf8')

export interface AxeViolation { id: string, impact: string, help: string, nodes: string[] }

/**
 * axe-core's serious and critical violations on the page as it is now. @axe-core/playwright needs
 * Node 22, so the axe-core script itself is injected and run in the page (works with JavaScript off
 * too: playwright's evaluation is not the page's scripts).
 */
export async function axeViolations (page: Page): Promise<AxeViolation[]> {
  // Evaluated rather than added as a <script>: a page with JavaScript off (and the site's CSP) would not run a tag.
  await page.evaluate(AXE_SOURCE)
  return await page.evaluate<AxeViolation[]>(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] })
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })()`)
}

/**
 * Everything a page must pass, as problems named by the page: axe, image sizes, lang. axe needs the
 * page's timers, which do not run with JavaScript off: such a journey passes `axe: false` (its pages are
 * the same templates the JavaScript journey checks).
 */
export async function checkPage (page: Page, problems: string[], options: { axe: boolean } = { axe: true }): Promise<void> {
  const where = new URL(page.url()).pathname
  if (options.axe) for (const v of await axeViolations(page)) problems.push(`axe ${v.impact} ${v.id} on ${where}: ${v.help} (${v.nodes.join(', ')})`)
  for (const img of await imagesWithoutSize(page)) problems.push(`image without width/height on ${where}: ${img}`)
  const lang = await page.getAttribute('html', 'lang')
  if (lang !== 'zh-CN') problems.push(`lang="${lang ?? ''}" on ${where}`)
}
