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
