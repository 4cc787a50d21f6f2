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
  /**
   * The page a step opens on purpose with an error status (a 404 page): that document's status, and the
   * browser's console line about it, are not problems; any other response's are.
   */
  expectedPage: { path: string, status: number } | null
}

export async function watchedContext (browser: Browser, options: BrowserContextOptions): Promise<WatchedContext> {
  const context = await browser.newContext(options)
  const w: WatchedContext = { context, problems: [], allowStatus: new Set(), expectedPage: null }
  const expected = (url: string, status: number): boolean => w.expectedPage !== null && w.expectedPage.status === status && url !== '' && new URL(url).pathname === w.expectedPage.path
  context.on('page', (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return
      // Chromium logs every error document ("Failed to load resource: … 404"), the expected one too.
      if (w.expectedPage !== null && expected(msg.location().url, w.expectedPage.status) && msg.text().includes(String(w.expectedPage.status))) return
      w.problems.push(`console error on ${page.url()}: ${msg.text()}`)
    })
    page.on('pageerror', (err) => { w.problems.push(`page error on ${page.url()}: ${err.message}`) })
    page.on('requestfailed', (req) => {
      // The browser cancelling a request because the page moved on is not the server failing it.
      if (req.failure()?.errorText === 'net::ERR_ABORTED') return
      w.problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? ''})`)
    })
    page.on('response', (res) => {
      if (res.status() >= 400 && !w.allowStatus.has(res.status()) && !(res.request().isNavigationRequest() && expected(res.url(), res.status()))) w.problems.push(`${res.status()} for ${new URL(res.url()).pathname}`)
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

/** The page's layout width against the viewport, and the first elements sticking out (to say what to fix). */
export interface LayoutWidth { scrollWidth: number, innerWidth: number, wide: string[] }

/** Run in the page: a string, since tsconfig has no DOM types. */
const LAYOUT_WIDTH = `(() => {
  const wide = []
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect()
    if (box.right > window.innerWidth + 0.5 && box.width > 0) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' (' + Math.round(box.right) + ' px)')
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 5) }
})()`

export async function layoutWidth (page: Page): Promise<LayoutWidth> {
  return await page.evaluate<LayoutWidth>(LAYOUT_WIDTH)
}

/**
 * What a thumb taps on a phone, each at least 44 × 44 px (WCAG 2.5.5): the header's 菜单 button and
 * menu, the nav tabs, buttons, pager links, 表态 buttons, the footer's links, breadcrumb links, list
 * titles. Links inside running text are exempt (WCAG's inline exception). Visible ones only.
 */
const SMALL_TAP_TARGETS = `(() => {
  const selector = '.nav-button, #nv a, .user-links a, .user-links button, button.pn, a.pn, .pg a, .pg strong, .react-button, #ft a, .breadcrumb a, .article-list h3 a, .tl-title a.thread-title, .fl-name h3 a, .comment-ops a, .comment-ops button'
  const small = []
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect()
    if (box.width === 0 || box.height === 0) continue
    if (box.width < 43.5 || box.height < 43.5) small.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 10) + '" ' + Math.round(box.width) + '×' + Math.round(box.height))
  }
  return small.slice(0, 8)
})()`

/** Reading text on a phone is 15 px at least: the bodies, lists, comments, table cells, forms. */
const SMALL_TEXT = `(() => {
  const selector = '.article-body p, .post-body, .comment-text, .article-list .summary, .bm_c p, .dt td, .form-table th, .alert-msg, #ft p'
  const small = []
  for (const el of document.querySelectorAll(selector)) {
    if (el.getBoundingClientRect().height === 0) continue
    const size = parseFloat(getComputedStyle(el).fontSize)
    if (size < 15) small.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + size + 'px')
  }
  return small.slice(0, 8)
})()`

/**
 * What a phone-width page must pass, as problems named by the page and width: no sideways scrolling
 * (scrollWidth ≤ innerWidth), tap targets of 44 × 44 px, reading text of 15 px. The caller has set the
 * viewport (a media query relayouts without a reload).
 */
export async function phoneProblems (page: Page, where: string): Promise<string[]> {
  const problems: string[] = []
  const m = await layoutWidth(page)
  if (m.scrollWidth > m.innerWidth) problems.push(`${where} at ${m.innerWidth} px: ${m.scrollWidth} px wide; ${m.wide.join(', ')}`)
  for (const t of await page.evaluate<string[]>(SMALL_TAP_TARGETS)) problems.push(`${where} at ${m.innerWidth} px: tap target ${t}`)
  for (const t of await page.evaluate<string[]>(SMALL_TEXT)) problems.push(`${where} at ${m.innerWidth} px: text ${t}`)
  return problems
}
