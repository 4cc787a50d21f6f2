/**
 * Who a post or comment names: `@username` mentions and the quote headers our own quote buttons write
 * (forum: `> **name** 发表于 …`, comments: `> name 的评论：…`). Pure: the notifications feature
 * resolves the names to members, the views link them.
 */

/** Discuz caps the people one post may @ (each is a notice someone did not ask for). */
export const MAX_MENTIONS = 10

// A username cannot hold spaces or % , * " < > & ( ) ' @ (members/validation.ts); CJK punctuation ends one too.
const MENTION = /(^|[^\w@])@([^\s@%,*"<>&()'，。、！？：；（）【】「」]{1,30})/gu

/** The distinct names mentioned in `text`, in order of first appearance, at most `max`. Quoted lines are skipped. */
export function mentionedNames (text: string, max = MAX_MENTIONS): string[] {
  const names: string[] = []
  const seen = new Set<string>()
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.startsWith('>')) continue // someone else's words: their mentions were notified when they wrote them
    for (const m of line.matchAll(MENTION)) {
      const name = (m[2] ?? '').replace(/[.:;!?]+$/, '')
      const key = name.toLowerCase()
      if (name === '' || seen.has(key)) continue
      seen.add(key)
      names.push(name)
      if (names.length >= max) return names
    }
  }
  return names
}

/** The author a forum quote (`> **name** 发表于 …`) or a comment quote (`> name 的评论：…`) names, or null. */
export function quotedName (text: string): string | null {
  const first = text.replace(/\r\n?/g, '\n').split('\n').find((l) => l.startsWith('> ')) ?? ''
  const forum = /^> \*\*(.{1,40}?)\*\* 发表于 /.exec(first)
  if (forum?.[1] !== undefined) return forum[1]
  const comment = /^> (.{1,40}?) 的评论：/.exec(first)
  return comment?.[1] ?? null
}

/** Where a mention links: resolved to the member's space by /u/<name> (a name that is nobody's is a 404 there). */
export const mentionUrl = (name: string): string => `/u/${encodeURIComponent(name)}`

// Inside these, text is not linked again (a link's own text, code shown as code).
const NO_LINK_INSIDE = new Set(['a', 'code', 'pre'])
const TAG = /<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g

/**
 * Links the first `max` @mentions in HTML we sanitized ourselves (a post's stored render, a comment's
 * escaped text): only text between tags is touched, never inside a link, code or a quote from someone else.
 * A name cannot hold < > & " ' (the username rules), so the escaped text carries it verbatim.
 */
export function linkMentions (html: string, max = MAX_MENTIONS): string {
  if (!html.includes('@')) return html
  let out = ''
  let last = 0
  let linked = 0
  const open: Record<string, number> = { a: 0, code: 0, pre: 0, blockquote: 0 }
  const linkText = (text: string): string => {
    if (linked >= max || Object.values(open).some((n) => n > 0)) return text
    return text.replace(MENTION, (whole: string, before: string, rawName: string) => {
      const name = rawName.replace(/[.:;!?]+$/, '')
      if (linked >= max || name === '') return whole
      linked++
      return `${before}<a href="${mentionUrl(name)}" class="mention">@${name}</a>${rawName.slice(name.length)}`
    })
  }
  for (const m of html.matchAll(TAG)) {
    out += linkText(html.slice(last, m.index))
    out += m[0]
    const tag = (m[1] ?? '').toLowerCase()
    if (NO_LINK_INSIDE.has(tag) || tag === 'blockquote') {
      const closing = m[0].startsWith('</')
      open[tag] = Math.max(0, (open[tag] ?? 0) + (closing ? -1 : 1))
    }
    last = (m.index ?? 0) + m[0].length
  }
  out += linkText(html.slice(last))
  return out
}
