import fc from 'fast-check'
import { pathologicalMarkdown } from '../helpers/markdown-corpus'
import {
  MARKDOWN_LIMITS, RENDERER_VERSION, markdownMessages, renderBody, renderMarkdown, renderStoredBody, storedRenderColumns, type RenderedBody
} from '../../src/lib/markdown'

/**
 * The renderer's bound: any input renders in well under 50 ms or is refused with a Chinese reason,
 * never throws. The time is the best of up to three tries, so a test process preempted by another on
 * this shared machine does not fail it; a slow input is slow every time.
 */
const BOUND_MS = 50

function timedRender (source: string): { result: RenderedBody | { refusal: string }, ms: number } {
  let best = Infinity
  let result: RenderedBody | { refusal: string } = { refusal: '' }
  for (let i = 0; i < 3 && best >= BOUND_MS; i++) {
    const start = performance.now()
    result = renderBody(source)
    best = Math.min(best, performance.now() - start)
  }
  return { result, ms: best }
}

const refusals = new Set<string>(Object.values(markdownMessages))

describe('Markdown renderer bounds (src/lib/markdown.ts)', () => {
  it('renders ordinary posts: emphasis, links without reputation, images with captions, text mode without images', () => {
    const result = renderBody('**加粗** 和 [链接](https://example.com)\n\n![老街](/uploads/ab/cd/a.png "老街茶楼")')
    if ('refusal' in result) throw new Error(result.refusal)
    expect(result.html).toContain('<strong>加粗</strong>')
    expect(result.html).toContain('<a href="https://example.com" rel="nofollow ugc noopener">链接</a>')
    expect(result.html).toContain('<span class="article-caption">▲ 老街茶楼</span>')
    expect(result.textHtml).not.toContain('<img')
    expect(result.textHtml).toContain('[图: 老街茶楼]')
  })

  it("refuses the probe's inputs quickly instead of spending seconds or overflowing the stack", () => {
    const emphasis = timedRender('*a_'.repeat(6_333))
    expect(emphasis.result).toEqual({ refusal: markdownMessages.tooManyMarks })
    expect(emphasis.ms).toBeLessThan(BOUND_MS)
    const quotes = timedRender('>'.repeat(2_000))
    expect(quotes.result).toEqual({ refusal: markdownMessages.tooDeep })
    expect(quotes.ms).toBeLessThan(BOUND_MS)
    // The sanitizer parses every entity marked writes: 20,000 escaped characters took 80 ms.
    const escapes = timedRender('>('.repeat(10_000))
    expect(escapes.result).toEqual({ refusal: markdownMessages.tooManyEscapes })
  })

  it('accepts nesting up to the limit and refuses one level more; a thematic break is not nesting', () => {
    const depth = MARKDOWN_LIMITS.maxDepth
    const ok = renderBody(`${'> '.repeat(depth)}深`)
    expect('html' in ok && (ok.html.match(/<blockquote>/g) ?? []).length).toBe(depth)
    expect(renderBody(`${'> '.repeat(depth + 1)}深`)).toEqual({ refusal: markdownMessages.tooDeep })
    const list = Array.from({ length: depth + 1 }, (_, i) => `${' '.repeat(i * 2)}- 第${i + 1}层`).join('\n')
    expect(renderBody(list)).toEqual({ refusal: markdownMessages.tooDeep })
    const rule = renderBody('- '.repeat(40).trim())
    expect('html' in rule && rule.html).toBe('<hr />\n')
  })

  it('accepts a long real post: 10,000 characters in one paragraph with bold words and links on many lines', () => {
    const line = '今天去老街喝早茶，**虾饺**很好吃，详见[点评](https://example.com/review)。'
    const body = Array.from({ length: 200 }, (_, i) => i % 4 === 0 ? line : '虾饺皇、叉烧包和凤爪，一笼接一笼，茶楼里坐满了街坊。').join('\n')
    const { result, ms } = timedRender(body)
    expect('html' in result).toBe(true)
    expect(ms).toBeLessThan(BOUND_MS)
  })

  it('renders or refuses every generated pathological input within the bound, never throwing (fast-check, fixed seed)', () => {
    fc.assert(fc.property(pathologicalMarkdown, (source) => {
      const { result, ms } = timedRender(source)
      if ('refusal' in result) expect(refusals.has(result.refusal)).toBe(true)
      else expect(typeof result.html).toBe('string')
      expect(ms).toBeLessThan(BOUND_MS)
    }), { seed: 20261130, numRuns: 400 })
  })

  it('shows a stored body the renderer refuses as escaped plain text, bounded too (rows written before the limits)', () => {
    const source = '<script>alert(1)</script>\n' + '>'.repeat(2_000)
    const start = performance.now()
    const shown = renderStoredBody(source)
    expect(performance.now() - start).toBeLessThan(1000)
    expect(shown.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;<br>&gt;&gt;&gt;')
    expect(shown.html).not.toContain('<script')
    expect(renderMarkdown(source)).toBe(shown.html)
    expect(storedRenderColumns('**a**')).toEqual({ body_html: '<p><strong>a</strong></p>\n', body_text_html: '<p><strong>a</strong></p>\n', render_version: RENDERER_VERSION })
  })
})
