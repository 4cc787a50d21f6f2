/**
 * 签名: plain text under a member's forum floors, at most SIGNATURE_MAX characters, one line or a few;
 * http(s) links become links (rel="nofollow ugc", like links in posts). Pure: the members feature checks it,
 * the view filter `signature` renders it (every character escaped first, then only the links added).
 */

export const SIGNATURE_MAX = 200
const MAX_LINES = 3

/** Trimmed lines, no run of empty ones, at most MAX_LINES (what follows joins the last line: nothing typed is dropped). */
export function normalizeSignature (raw: string): string {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim()).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''))
  const kept = lines.slice(0, MAX_LINES - 1)
  const rest = lines.slice(MAX_LINES - 1).filter((l) => l !== '').join(' ')
  return [...kept, rest].join('\n').trim()
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
const URL = /https?:\/\/[^\s<>"'，。、！？）】]+/g

/** The signature as safe HTML: escaped text, <a> for each http(s) URL, <br> between lines. */
export function signatureHtml (text: string): string {
  let out = ''
  let last = 0
  for (const m of text.matchAll(URL)) {
    const url = m[0].replace(/[.,;:!?)]+$/, '')
    const at = m.index ?? 0
    out += escapeHtml(text.slice(last, at))
    out += `<a href="${escapeHtml(url)}" rel="nofollow ugc noopener" target="_blank">${escapeHtml(url)}</a>`
    last = at + url.length
  }
  out += escapeHtml(text.slice(last))
  return out.replace(/\n/g, '<br>')
}
