/**
 * User and editor Markdown → safe HTML: marked renders, sanitize-html removes anything
 * not on the allow-list (scripts, event handlers, javascript: URLs, inline styles).
 * The sanitizer always runs last, so a renderer bug cannot open an XSS hole.
 */
import { Lexer, Marked, type Token, type Tokens } from 'marked'
import sanitizeHtml from 'sanitize-html'
import { uploadUrlsIn } from './upload-keys'

/**
 * Bump when the renderer's output changes (marked upgrade, allow-list, image markup, limits):
 * stored bodies whose `render_version` is older are rendered again once, on their next read or by
 * `npm run cli -- markdown:render`. (3: articles are stored as pages, split at `<!-- 分页 -->`, with their cover;
 * 4: pictures carry their stored width/height and decoding="async", see sizeImages.)
 */
export const RENDERER_VERSION = 4

/**
 * What the renderer accepts. marked has no bound of its own: unmatched emphasis delimiters make its
 * inline scan quadratic (`'*a_'` × 6,333 took 11 s), and every nesting level is a recursive call
 * (2,000 `>` overflowed the stack). Measured on marked 18 (warm, one core): with these limits the worst
 * accepted input we could build (a 1,500-row table) renders in ~25 ms, a real post in about 1 ms.
 */
export const MARKDOWN_LIMITS = Object.freeze({
  /** Characters of source (the forum's own limit, 20,000, is lower). */
  maxLength: 50_000,
  /** Lines: each can be a block (list item, table row, heading) the sanitizer then walks. */
  maxLines: 1_500,
  /** Quote / list levels: real posts use 2 or 3; each level lexes its content again, recursively. */
  maxDepth: 10,
  /**
   * Runs of `*` / `_` in one run of inline text (a paragraph, heading, table cell). Emphasis is the
   * one quadratic scan in marked 18: an unmatched delimiter scans to the end of its paragraph
   * (~4 ns a character), and dense unmatched ones cost more again (~70 ms for 1,000).
   */
  maxDelimiterRuns: 400,
  /** Those runs × the length of their paragraph: 2,000,000 is ~8 ms at worst (a 20,000-character paragraph may hold 100). */
  maxDelimiterScan: 2_000_000,
  /** Markup in the whole body (`* _ ~ \` [ < ! & \`, autolinks): bounds the elements produced and sanitized. */
  maxMarks: 1_500,
  /**
   * Characters HTML escapes (`< > & " '`), anywhere, code included: the sanitizer parses each entity on
   * its own (~2 µs each for the two stored forms), so 20,000 of them took 80 ms.
   */
  maxEscapes: 6_000
})

/** Why the renderer refuses a body (zh-CN, shown as it is on a 400 page). */
export const markdownMessages = {
  tooLong: `抱歉，内容超过 ${MARKDOWN_LIMITS.maxLength} 个字符，请缩短后再发表`,
  tooManyLines: `抱歉，内容超过 ${MARKDOWN_LIMITS.maxLines} 行，请分成几帖发表`,
  tooDeep: `抱歉，引用或列表嵌套超过 ${MARKDOWN_LIMITS.maxDepth} 层，请减少嵌套`,
  tooManyMarks: '抱歉，内容中的格式符号（如 * _ [ ] 等）过多，请分段或减少格式',
  tooManyEscapes: `抱歉，内容中的尖括号、引号等符号超过 ${MARKDOWN_LIMITS.maxEscapes} 个，请减少后再发表`,
  tooComplex: '抱歉，内容的格式过于复杂，无法显示，请简化后再发表',
  remoteImage: '外部图片无法显示，请先上传图片'
} as const

function escapeAttr (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function escapeText (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * The one rule for pictures in user content (posts, comments, articles, previews): only pictures on
 * this site, i.e. a path (`/uploads/…`, `/static/…`). The CSP says `img-src 'self' data:`, so a remote
 * picture would be blocked by the browser without a word; instead a body with one is refused when it
 * is written or previewed (markdownMessages.remoteImage), and the CSP stays strict (no third party
 * learns who reads what, no mixed content, no hotlinked picture changing after review). Pictures get
 * here by upload (POST /uploads). A full URL of this very site is refused too: the renderer does not
 * know the site's address, and the upload form gives the path.
 */
export function isSiteImageUrl (href: string): boolean {
  // One leading slash, not two (`//host/x.png` is another site) nor a backslash (`/\host`, which
  // browsers read as `//host`).
  return /^\/(?![/\\])/.test(href.trim())
}

/** Every `src` of raw `<img>` HTML in a piece of text. */
const RAW_IMG_SRC = /<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*))/gi

/** True when the tokens hold a picture that is not on this site (Markdown image or raw <img> HTML). */
function hasRemoteImage (tokens: Token[]): boolean {
  let remote = false
  // walkTokens returns the callbacks' results (none here: it is synchronous).
  void fullMarked.walkTokens(tokens, (token) => {
    if (remote) return
    if (token.type === 'image') {
      remote = !isSiteImageUrl((token as Tokens.Image).href)
    } else if (token.type === 'html') {
      for (const m of (token as Tokens.HTML).text.matchAll(RAW_IMG_SRC)) {
        if (!isSiteImageUrl(m[1] ?? m[2] ?? m[3] ?? '')) remote = true
      }
    }
  })
  return remote
}

// Images render as a picture followed by a caption line starting with ▲, as Discuz articles show them.
// A remote picture (only in bodies stored before the rule above) renders as a link to it: the CSP
// would block it as a picture.
const fullMarked = new Marked({ gfm: true, breaks: false })
fullMarked.use({
  renderer: {
    image ({ href, title, text }: Tokens.Image): string {
      const caption = title ?? text
      if (!isSiteImageUrl(href)) return `<a href="${escapeAttr(href)}">[外部图片${caption === '' ? '' : `: ${escapeText(caption)}`}]</a>`
      const img = `<img src="${escapeAttr(href)}" alt="${escapeAttr(text)}" loading="lazy" decoding="async">`
      return caption === ''
        ? `<span class="article-figure">${img}</span>`
        : `<span class="article-figure">${img}<span class="article-caption">▲ ${escapeText(caption)}</span></span>`
    }
  }
})

// Text mode (Archiver, feeds): no <img>, the caption or alt text in brackets instead.
const textMarked = new Marked({ gfm: true, breaks: false })
textMarked.use({
  renderer: {
    image ({ title, text }: Tokens.Image): string {
      const caption = title ?? text
      return caption === '' ? '[图]' : `[图: ${escapeText(caption)}]`
    }
  }
})

const baseAllowedTags = ['p', 'br', 'hr', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'em', 'strong', 'del',
  'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span']

const sanitizeFull: sanitizeHtml.IOptions = {
  allowedTags: [...baseAllowedTags, 'img'],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    // No width/height from the author: sizeImages adds the stored picture's own after sanitizing.
    img: ['src', 'alt', 'title', 'loading', 'decoding'],
    span: ['class'],
    code: ['class'],
    th: ['align'],
    td: ['align']
  },
  allowedClasses: { span: ['article-figure', 'article-caption'], code: [/^language-[\w-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  // Raw <img> HTML pointing elsewhere (a stored body from before the rule) is dropped: see isSiteImageUrl.
  exclusiveFilter: (frame) => frame.tag === 'img' && !isSiteImageUrl(frame.attribs.src ?? ''),
  allowProtocolRelative: false,
  transformTags: {
    // Links in user content must not pass reputation or window.opener.
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow ugc noopener' }, true)
  }
}

const sanitizeText: sanitizeHtml.IOptions = {
  ...sanitizeFull,
  allowedTags: baseAllowedTags,
  allowedAttributes: { a: ['href', 'rel'], span: ['class'] }
}

export function sanitize (html: string): string {
  return sanitizeHtml(html, sanitizeFull)
}

/** A stored picture's size in pixels. */
export interface ImageSize { width: number, height: number }
/** Picture sizes by URL (`/uploads/…`), as the uploads feature knows them; the renderer never looks them up itself. */
export type ImageSizes = ReadonlyMap<string, ImageSize>
export const NO_IMAGE_SIZES: ImageSizes = new Map()
/** How a feature asks for sizes (the portal and forum pass `app.uploads.imageSizes`). */
export type ImageSizeLookup = (urls: readonly string[]) => Promise<ImageSizes>

/** The sizes of the uploads a Markdown body mentions, asked of `lookup` before rendering it (none without one). */
export async function imageSizesFor (body: string, lookup: ImageSizeLookup | undefined): Promise<ImageSizes> {
  const urls = uploadUrlsIn(body)
  return lookup === undefined || urls.length === 0 ? NO_IMAGE_SIZES : await lookup(urls)
}

// In sanitized HTML every attribute is double-quoted and escaped, and no `>` is left inside a tag.
const SANITIZED_IMG = /<img\b([^>]*?)\bsrc="([^"]*)"([^>]*)>/g

/**
 * Sanitized HTML with each known picture's width and height (and lazy, async decoding): the browser
 * reserves the picture's box before it loads, so nothing below it jumps (CSS scales it to the column).
 * Pure: the sizes come in (from the uploads table); a picture not among them is left as it was.
 */
export function sizeImages (html: string, sizes: ImageSizes): string {
  if (sizes.size === 0) return html
  return html.replace(SANITIZED_IMG, (tag: string, before: string, src: string, after: string) => {
    const size = sizes.get(src.replace(/&amp;/g, '&'))
    if (size === undefined || /\b(width|height)=/.test(before + after)) return tag
    const rest = after.replace(/\s*\/$/, '')
    const extra = [
      /\bloading=/.test(before + rest) ? '' : ' loading="lazy"',
      /\bdecoding=/.test(before + rest) ? '' : ' decoding="async"'
    ].join('')
    return `<img${before}src="${src}" width="${Math.round(size.width)}" height="${Math.round(size.height)}"${rest}${extra} />`
  })
}

const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/

/**
 * Nesting depth a line may open, read from its prefix alone: every `>` and list marker is a level,
 * and whitespace before a marker stands for the levels it continues (a list level needs two columns;
 * the one space a marker takes after itself does not count). An upper bound of what marked nests,
 * in one pass over the prefix.
 */
function lineDepth (line: string): number {
  // A thematic break (`- - - -`, `* * *`) is a leaf, however many markers it seems to hold.
  if (THEMATIC_BREAK.test(line)) return 0
  let depth = 0
  let i = 0
  for (;;) {
    let columns = 0
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) { columns += line[i] === '\t' ? 4 : 1; i++ }
    let marker = 0
    const c = line[i]
    if (c === '>') marker = 1
    else if ((c === '-' || c === '*' || c === '+') && (i + 1 >= line.length || line[i + 1] === ' ' || line[i + 1] === '\t')) marker = 1
    else marker = /^\d{1,9}[.)](?=[ \t]|$)/.exec(line.slice(i, i + 11))?.[0].length ?? 0
    // Indentation only counts before a marker: elsewhere it is text or code, which opens no level.
    if (marker === 0) return depth
    depth += 1 + Math.floor(Math.max(0, columns - (depth === 0 ? 0 : 1)) / 2)
    i += marker
  }
}

const MARK = /[*_~`[<!&\\@]|www\.|:\/\//g
const DELIMITER_RUN = /([*_])\1*/g
const ESCAPED = /[<>&"']/g

function countMatches (text: string, pattern: RegExp): number {
  pattern.lastIndex = 0
  let n = 0
  while (pattern.exec(text) !== null) n++
  return n
}

/** The checks that need no parsing: length, lines, nesting. Linear in the source. */
function blockRefusal (source: string): string | null {
  if (source.length > MARKDOWN_LIMITS.maxLength) return markdownMessages.tooLong
  const lines = source.split('\n')
  if (lines.length > MARKDOWN_LIMITS.maxLines) return markdownMessages.tooManyLines
  if (countMatches(source, ESCAPED) > MARKDOWN_LIMITS.maxEscapes) return markdownMessages.tooManyEscapes
  for (const line of lines) {
    if (lineDepth(line) > MARKDOWN_LIMITS.maxDepth) return markdownMessages.tooDeep
  }
  return null
}

/**
 * The checks on the text marked will scan inline. Measured on the runs marked queues after its block
 * pass (so code blocks, whose content is never scanned, cost nothing): the quadratic inline scan is
 * bounded per run, the output size over the whole body.
 */
function inlineRefusal (runs: ReadonlyArray<{ src: string }>): string | null {
  let marks = 0
  for (const run of runs) {
    const delimiters = countMatches(run.src, DELIMITER_RUN)
    if (delimiters > MARKDOWN_LIMITS.maxDelimiterRuns || delimiters * run.src.length > MARKDOWN_LIMITS.maxDelimiterScan) return markdownMessages.tooManyMarks
    marks += countMatches(run.src, MARK)
    if (marks > MARKDOWN_LIMITS.maxMarks) return markdownMessages.tooManyMarks
  }
  return null
}

/** The tokens of an accepted body, or why it is refused. Runs marked's two passes with the checks between them. */
function lexBounded (source: string): { tokens: Token[] } | { refusal: string } {
  const src = source.replace(/\r\n?/g, '\n')
  const blockProblem = blockRefusal(src)
  if (blockProblem !== null) return { refusal: blockProblem }
  // What Lexer.lex does, split open: the block pass queues the inline runs, which we check before scanning them.
  const lexer = new Lexer({ ...fullMarked.defaults })
  try {
    const tokens = lexer.blockTokens(src, lexer.tokens)
    const inlineProblem = inlineRefusal(lexer.inlineQueue)
    if (inlineProblem !== null) return { refusal: inlineProblem }
    for (const run of lexer.inlineQueue) {
      lexer.state.inRawBlock = false
      lexer.inlineTokens(run.src, run.tokens)
    }
    return { tokens }
  } catch (err) {
    // The last line of defence if the limits above ever miss a shape: a refusal, never a 500.
    if (err instanceof RangeError) return { refusal: markdownMessages.tooComplex }
    throw err
  }
}

/** A stored body: the page HTML and the Archiver's text-mode HTML, both sanitized. */
export interface RenderedBody { html: string, textHtml: string }

/**
 * Markdown → both stored forms, or the Chinese reason it is refused. Bounded in time and depth for
 * any input (see MARKDOWN_LIMITS); called when a body is written, never when a page is read.
 */
export function renderBody (source: string): RenderedBody | { refusal: string } {
  const lexed = lexBounded(source)
  if ('refusal' in lexed) return lexed
  if (hasRemoteImage(lexed.tokens)) return { refusal: markdownMessages.remoteImage }
  return renderTokens(lexed.tokens)
}

function renderTokens (tokens: Token[]): RenderedBody {
  // The parsers only read the tokens, so one lexing serves both forms.
  return {
    html: sanitizeHtml(fullMarked.parser(tokens), sanitizeFull),
    textHtml: sanitizeHtml(textMarked.parser(tokens), sanitizeText)
  }
}

/**
 * Discuz's page break in an article body: `<!-- 分页 -->` alone on its line. Only a top-level HTML
 * block counts (marked makes that line one `html` token, and a comment may interrupt a paragraph), so
 * the same text inside a code block, a quote or a list is left alone.
 */
const PAGE_BREAK = /^ {0,3}<!--\s*分页\s*-->\s*$/

function isPageBreak (token: Token): boolean {
  return token.type === 'html' && PAGE_BREAK.test((token as Tokens.HTML).raw.trim())
}

/** The top-level tokens split at page breaks; empty pages (two breaks in a row, a break at an end) dropped. */
function splitAtPageBreaks (tokens: Token[]): Token[][] {
  const pages: Token[][] = [[]]
  for (const token of tokens) {
    if (isPageBreak(token)) pages.push([])
    else pages[pages.length - 1]?.push(token)
  }
  const filled = pages.filter((p) => p.some((t) => t.type !== 'space'))
  return filled.length === 0 ? [[]] : filled
}

/**
 * An article body as its pages (one RenderedBody per page), or why it is refused. The bounds apply to
 * the whole body (lexed once), not to each page, so pages add no room.
 */
export function renderBodyPages (source: string): RenderedBody[] | { refusal: string } {
  const lexed = lexBounded(source)
  if ('refusal' in lexed) return lexed
  if (hasRemoteImage(lexed.tokens)) return { refusal: markdownMessages.remoteImage }
  return splitAtPageBreaks(lexed.tokens).map(renderTokens)
}

/** renderBodyPages for a stored body: never refuses (a refused body is one page of plain text). */
export function renderStoredBodyPages (source: string): RenderedBody[] {
  const lexed = lexBounded(source)
  return 'refusal' in lexed ? [plainTextBody(source)] : splitAtPageBreaks(lexed.tokens).map(renderTokens)
}

/** The source as escaped paragraphs: what a stored body the renderer refuses shows (rows written before the limits). */
export function plainTextBody (source: string): RenderedBody {
  const html = source.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/).map((p) => p.trim()).filter((p) => p !== '')
    .map((p) => `<p>${escapeText(p).replace(/\n/g, '<br>')}</p>`).join('\n')
  return { html, textHtml: html }
}

/** For rows stored before RENDERER_VERSION: never refuses (a refused body shows as plain text), never throws. */
export function renderStoredBody (source: string): RenderedBody {
  // The bounds only: a stored body with a remote picture (written before that rule) keeps its text,
  // the picture shown as a link to it.
  const lexed = lexBounded(source)
  return 'refusal' in lexed ? plainTextBody(source) : renderTokens(lexed.tokens)
}

/** The stored-render columns of posts and articles for a body written outside a member's form (seeds, imports). */
export function storedRenderColumns (source: string): { body_html: string, body_text_html: string, render_version: number } {
  const rendered = renderStoredBody(source)
  return { body_html: rendered.html, body_text_html: rendered.textHtml, render_version: RENDERER_VERSION }
}

/** Markdown → sanitized HTML with images and captions (a refused body as plain text). */
export function renderMarkdown (source: string): string {
  return renderStoredBody(source).html
}

/** Markdown → sanitized HTML without images (their caption in brackets instead). */
export function renderMarkdownAsText (source: string): string {
  return renderStoredBody(source).textHtml
}

/** Plain text from Markdown, e.g. for a meta description or a search snippet. */
export function markdownToPlainText (source: string): string {
  return sanitizeHtml(renderStoredBody(source).textHtml, { allowedTags: [], allowedAttributes: {} })
    .replace(/\s+/g, ' ')
    .trim()
}
