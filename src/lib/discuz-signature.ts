/**
 * A Discuz signature (common_member_field_forum.sightml) as the plain text luntan's 签名 is. Discuz
 * stores the HTML its BBCode became ([url] → <a>, [b] → <strong>, [img] → <img>); older sites and
 * some plugins leave the BBCode itself. Both come back to text: a link keeps its address (ours are
 * linked when shown), a picture is dropped (a signature here has none; reported by the caller), every
 * other tag keeps only its text, and entities are decoded (the view escapes the text again).
 */

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', amp: '&' }

function decodeEntities (s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (m, e: string) => {
    if (e.startsWith('#')) {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ''
    }
    return ENTITIES[e.toLowerCase()] ?? m
  })
}

/** The text of a link: its words, then its address when the words are not the address already. */
function linkText (href: string, words: string): string {
  const url = decodeEntities(href).trim()
  const text = words.trim()
  if (!/^https?:\/\//i.test(url)) return text
  return text === '' || url.includes(text) ? url : `${text} ${url}`
}

export interface DiscuzSignature { text: string, droppedImages: number }

/** Far more than a 200-character signature needs, and a bound on the link patterns' work on odd input. */
const SOURCE_MAX = 8000

export function discuzSignatureText (sightml: string): DiscuzSignature {
  let droppedImages = 0
  const text = sightml.slice(0, SOURCE_MAX)
    .replace(/\r\n?/g, '\n')
    // Discuz's HTML keeps the author's line breaks as <br />; a raw newline next to one is not a second break.
    .replace(/\n?<br\s*\/?>\n?/gi, '\n')
    .replace(/<img\b[^>]*>/gi, () => { droppedImages++; return '' })
    .replace(/\[img(?:=[^\]]*)?\][\s\S]*?\[\/img\]/gi, () => { droppedImages++; return '' })
    .replace(/<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a>/gi,
      (_m, d: string | undefined, s: string | undefined, u: string | undefined, inner: string) => linkText(d ?? s ?? u ?? '', inner.replace(/<[^>]*>/g, '')))
    .replace(/\[url=([^\]]*)\]([\s\S]*?)\[\/url\]/gi, (_m, href: string, inner: string) => linkText(href, inner))
    .replace(/\[url\]([\s\S]*?)\[\/url\]/gi, (_m, href: string) => linkText(href, ''))
    .replace(/<\/(p|div|li|tr)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/\[\/?(?:b|i|u|s|strike|color|size|font|align|float|backcolor|quote|code|list|\*|p|hr|email|indent|table|tr|td)(?:=[^\]]*)?\]/gi, '')
  return { text: decodeEntities(text).replace(/[ \t]+\n/g, '\n').trim(), droppedImages }
}
