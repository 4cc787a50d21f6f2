/**
 * Length as Discuz counts it (GBK-era `dstrlen`, bytes): a CJK (or any non-ASCII) character counts
 * as two. Code points, not UTF-16 units, so an emoji is one character (then doubled), not two halves.
 * Used where Discuz users know the rule: usernames (3–15) and the comment minimum (2: `顶` passes).
 */
export function discuzLength (text: string): number {
  let n = 0
  for (const ch of text) n += (ch.codePointAt(0) ?? 0) > 0x7f ? 2 : 1
  return n
}
