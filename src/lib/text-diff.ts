import { diffLines } from 'diff'

/**
 * Line diffs of article versions, as plain parts a template prints escaped (insertions in <ins>,
 * deletions in <del>). No HTML is built here: the text is user content and autoescape handles it.
 */

export interface DiffPart { kind: 'same' | 'add' | 'del', text: string }

// Myers' diff is O(N·D): two unrelated 50,000-character bodies would take seconds. Past this budget
// the diff gives up and shows the whole old text removed and the whole new text added.
const DIFF_TIMEOUT_MS = 200

export function lineDiff (before: string, after: string): DiffPart[] {
  if (before === after) return before === '' ? [] : [{ kind: 'same', text: before }]
  const changes = diffLines(before, after, { timeout: DIFF_TIMEOUT_MS })
  if (changes === undefined) return [{ kind: 'del', text: before }, { kind: 'add', text: after }].filter((p) => p.text !== '') as DiffPart[]
  return changes.map((c) => ({ kind: c.added ? 'add' : c.removed ? 'del' : 'same', text: c.value }))
}

/** Whether a diff changes anything. */
export function hasChanges (parts: readonly DiffPart[]): boolean {
  return parts.some((p) => p.kind !== 'same')
}
