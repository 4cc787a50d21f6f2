/**
 * User and editor Markdown → safe HTML: marked renders, sanitize-html removes anything
 * not on the allow-list (scripts, event handlers, javascript: URLs, inline styles).
 * The sanitizer always runs last, so a renderer bug cannot open an XSS hole.
 */
import { Marked, type Tokens } from 'marked'
import sanitizeHtml from 'sanitize-html'

function escapeAttr (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function escapeText (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

// Images render as a picture followed by a caption line starting with ▲, as Discuz articles show them.
const fullMarked = new Marked({ gfm: true, breaks: false })
fullMarked.use({
  renderer: {
    image ({ href, title, text }: Tokens.Image): string {
      const caption = title ?? text
      const img = `<img src="${escapeAttr(href)}" alt="${escapeAttr(text)}" loading="lazy">`
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
    img: ['src', 'alt', 'title', 'loading'],
    span: ['class'],
    code: ['class'],
    th: ['align'],
    td: ['align']
  },
  allowedClasses: { span: ['article-figure', 'article-caption'], code: [/^language-[\w-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
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

/** Markdown → sanitized HTML with images and captions. */
export function renderMarkdown (source: string): string {
  return sanitizeHtml(fullMarked.parse(source, { async: false }), sanitizeFull)
}

/** Markdown → sanitized HTML without images (their caption in brackets instead). */
export function renderMarkdownAsText (source: string): string {
  return sanitizeHtml(textMarked.parse(source, { async: false }), sanitizeText)
}

/** Plain text from Markdown, e.g. for a meta description or a search snippet. */
export function markdownToPlainText (source: string): string {
  return sanitizeHtml(textMarked.parse(source, { async: false }), { allowedTags: [], allowedAttributes: {} })
    .replace(/\s+/g, ' ')
    .trim()
}
