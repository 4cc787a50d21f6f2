/**
 * The 屏蔽词 matcher: an Aho–Corasick automaton over normalized text, built once per word list.
 *
 * Normalization makes the obvious evasions match: NFKC folds full-width forms (ＡＢＣ → abc, １ → 1)
 * and compatibility characters, case is folded, and spaces, punctuation and symbols between the
 * letters of a word are skipped ("f.u c-k", "法 轮"). To keep that from gluing unrelated words
 * together, a line break or a run of more than MAX_GAP separators ends any match, and a word made
 * of Latin letters and digits only matches as a whole word (so "sb" does not hit "this beat").
 * Matches are mapped back to the original text, so a replacement covers the separators inside the
 * word and leaves everything else exactly as typed.
 */

export type WordAction = 'block' | 'moderate' | 'replace'
export const WORD_ACTIONS: readonly WordAction[] = ['block', 'moderate', 'replace']

export function isWordAction (value: unknown): value is WordAction {
  return value === 'block' || value === 'moderate' || value === 'replace'
}

export interface WordRule {
  word: string
  action: WordAction
  /** Used by 'replace' (default `**`). */
  replacement: string
}

export interface WordHit { word: string, action: WordAction, start: number, end: number }

export interface WordScan {
  /** Words whose action is 'block' (the contribution must be refused). */
  blocked: string[]
  /** Words whose action is 'moderate' (the contribution goes to review). */
  moderated: string[]
  /** The text with every 'replace' word replaced; identical to the input when nothing was replaced. */
  text: string
}

/** Longest run of separators allowed inside a word ("f . . u" is still "fu"). */
const MAX_GAP = 3
/** Stands for a line break or a long gap in the normalized stream; never part of a word. */
const BREAK = '\u0000'
const SEPARATOR = /^[\p{P}\p{S}\p{Z}\s\p{Cc}\p{Cf}]$/u
const WORD_CHAR = /^[a-z0-9]$/
const ASCII_WORD = /^[a-z0-9]+$/

/** The normalized form of a word as stored for matching (empty when nothing is left, e.g. "..."). */
export function normalizeWord (word: string): string {
  let out = ''
  for (const ch of word.normalize('NFKC').toLowerCase()) {
    if (!SEPARATOR.test(ch)) out += ch
  }
  return out
}

interface NormalizedText {
  chars: string
  /** For each code unit of `chars`: where its source character starts and ends in the original. */
  from: number[]
  to: number[]
}

function normalizeText (text: string): NormalizedText {
  let chars = ''
  const from: number[] = []
  const to: number[] = []
  let gap = 0
  let offset = 0
  const pushBreak = (): void => {
    if (chars.endsWith(BREAK)) return
    chars += BREAK
    from.push(offset)
    to.push(offset)
  }
  for (const original of text) {
    const start = offset
    offset += original.length
    if (original === '\n' || original === '\r') {
      pushBreak()
      gap = 0
      continue
    }
    const folded = original.normalize('NFKC').toLowerCase()
    let kept = false
    for (const ch of folded) {
      if (SEPARATOR.test(ch)) continue
      kept = true
      for (let i = 0; i < ch.length; i++) {
        chars += ch[i]
        from.push(start)
        to.push(offset)
      }
    }
    if (kept) {
      gap = 0
    } else if (++gap > MAX_GAP) {
      pushBreak()
    }
  }
  return { chars, from, to }
}

interface Node {
  next: Map<string, number>
  fail: number
  /** Index into rules of the longest word ending here, or -1. */
  output: number
  /** The nearest node along fail links that has an output (-1 when none). */
  dictLink: number
}

export class WordMatcher {
  private readonly nodes: Node[] = [{ next: new Map(), fail: 0, output: -1, dictLink: -1 }]
  private readonly rules: Array<WordRule & { key: string }> = []

  constructor (rules: readonly WordRule[]) {
    const seen = new Map<string, number>()
    for (const rule of rules) {
      const key = normalizeWord(rule.word)
      if (key === '' || key.includes(BREAK)) continue
      // The same normalized word twice: the stricter action wins (block > moderate > replace).
      const existing = seen.get(key)
      if (existing !== undefined) {
        const old = this.rules[existing]
        if (old !== undefined && severity(rule.action) > severity(old.action)) this.rules[existing] = { ...rule, key }
        continue
      }
      seen.set(key, this.rules.length)
      this.rules.push({ ...rule, key })
    }
    this.rules.forEach((rule, index) => { this.insert(rule.key, index) })
    this.link()
  }

  get size (): number { return this.rules.length }

  private insert (key: string, index: number): void {
    let state = 0
    for (let i = 0; i < key.length; i++) {
      const ch = key[i] ?? ''
      const node = this.nodes[state] as Node
      let next = node.next.get(ch)
      if (next === undefined) {
        next = this.nodes.length
        this.nodes.push({ next: new Map(), fail: 0, output: -1, dictLink: -1 })
        node.next.set(ch, next)
      }
      state = next
    }
    (this.nodes[state] as Node).output = index
  }

  private link (): void {
    const queue: number[] = []
    for (const child of (this.nodes[0] as Node).next.values()) queue.push(child)
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number
      const node = this.nodes[state] as Node
      for (const [ch, child] of node.next) {
        queue.push(child)
        let f = node.fail
        while (f !== 0 && !(this.nodes[f] as Node).next.has(ch)) f = (this.nodes[f] as Node).fail
        const target = (this.nodes[f] as Node).next.get(ch)
        const childNode = this.nodes[child] as Node
        childNode.fail = target !== undefined && target !== child ? target : 0
        const failNode = this.nodes[childNode.fail] as Node
        childNode.dictLink = failNode.output >= 0 ? childNode.fail : failNode.dictLink
      }
    }
  }

  /** Every occurrence of every word, as ranges of the original text. */
  find (text: string): WordHit[] {
    if (this.rules.length === 0 || text === '') return []
    const norm = normalizeText(text)
    const hits: WordHit[] = []
    let state = 0
    for (let i = 0; i < norm.chars.length; i++) {
      const ch = norm.chars[i] ?? ''
      while (state !== 0 && !(this.nodes[state] as Node).next.has(ch)) state = (this.nodes[state] as Node).fail
      state = (this.nodes[state] as Node).next.get(ch) ?? 0
      let out = (this.nodes[state] as Node).output >= 0 ? state : (this.nodes[state] as Node).dictLink
      while (out >= 0) {
        const node = this.nodes[out] as Node
        const rule = this.rules[node.output]
        if (rule !== undefined) {
          const first = i - rule.key.length + 1
          const start = norm.from[first] ?? 0
          const end = norm.to[i] ?? text.length
          if (!ASCII_WORD.test(rule.key) || isWholeWord(text, start, end)) {
            hits.push({ word: rule.word, action: rule.action, start, end })
          }
        }
        out = node.dictLink
      }
    }
    return hits
  }

  scan (text: string): WordScan {
    const hits = this.find(text)
    const blocked = unique(hits.filter((h) => h.action === 'block').map((h) => h.word))
    const moderated = unique(hits.filter((h) => h.action === 'moderate').map((h) => h.word))
    const replacements = new Map(this.rules.map((r) => [r.word, r.replacement]))
    // Leftmost, then longest, non-overlapping replacements.
    const chosen = hits.filter((h) => h.action === 'replace').sort((a, b) => a.start - b.start || b.end - a.end)
    let out = ''
    let cursor = 0
    for (const hit of chosen) {
      if (hit.start < cursor) continue
      out += text.slice(cursor, hit.start) + (replacements.get(hit.word) ?? '**')
      cursor = hit.end
    }
    return { blocked, moderated, text: cursor === 0 ? text : out + text.slice(cursor) }
  }
}

function severity (action: WordAction): number {
  return action === 'block' ? 3 : action === 'moderate' ? 2 : 1
}

function unique (words: string[]): string[] {
  return [...new Set(words)]
}

/** True when the original characters right before and after [start, end) are not letters or digits. */
function isWholeWord (text: string, start: number, end: number): boolean {
  const before = start > 0 ? text[start - 1] ?? '' : ''
  const after = end < text.length ? text[end] ?? '' : ''
  return !WORD_CHAR.test(before.normalize('NFKC').toLowerCase()) && !WORD_CHAR.test(after.normalize('NFKC').toLowerCase())
}
