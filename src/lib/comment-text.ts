/**
 * Comments are plain text: stored as typed, rendered here by escaping everything and adding only
 * line breaks, links for http(s) URLs (rel="nofollow ugc noopener") and quote blocks for lines
 * starting with "> ". Nothing the user types can become markup, so the result may be output raw.
 */

const URL_PATTERN = /https?:\/\/[^\s<>"'`\u3000-\u303f\uff01-\uff60]+/g
// Trailing punctuation is usually the sentence's, not the URL's.
const TRAILING = /[.,;:!?)\]}'"，。；：！？、）】》]+$/

export function escapeHtml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

function linkify (line: string): string {
  let out = ''
  let last = 0
  for (const m of line.matchAll(URL_PATTERN)) {
    const start = m.index
    let url = m[0]
    const trail = TRAILING.exec(url)
    if (trail !== null) url = url.slice(0, url.length - trail[0].length)
    if (url.length <= 'https://'.length) continue
    out += escapeHtml(line.slice(last, start))
    const href = escapeHtml(url)
    out += `<a href="${href}" rel="nofollow ugc noopener" target="_blank">${href}</a>`
    last = start + url.length
  }
  return out + escapeHtml(line.slice(last))
}

export function renderCommentText (source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const parts: string[] = []
  let quote: string[] = []
  const flushQuote = (): void => {
    if (quote.length > 0) parts.push(`<blockquote>${quote.join('<br>')}</blockquote>`)
    quote = []
  }
  let plain: string[] = []
  const flushPlain = (): void => {
    if (plain.length > 0) parts.push(plain.join('<br>'))
    plain = []
  }
  for (const line of lines) {
    if (line.startsWith('> ') || line === '>') {
      flushPlain()
      quote.push(linkify(line.slice(2)))
    } else {
      flushQuote()
      plain.push(linkify(line))
    }
  }
  flushQuote()
  flushPlain()
  return parts.join('')
}

/** The text a 引用 puts in the form: the author and the start of the comment (without its own quotes), as "> " lines. */
export function quoteOf (authorName: string, source: string, maxChars = 100): string {
  const own = source.replace(/\r\n?/g, '\n').split('\n').filter((l) => !(l.startsWith('> ') || l === '>')).join(' ').trim()
  const chars = [...own]
  const excerpt = chars.length > maxChars ? chars.slice(0, maxChars).join('') + '…' : own
  return `> ${authorName} 的评论：${excerpt}\n`
}
