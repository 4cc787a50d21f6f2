/**
 * Search text (issue 23), pure: how a document's text and a visitor's query become index terms, and how
 * a result's snippet is cut and marked. The same functions feed every engine (SQLite FTS5, InnoDB
 * FULLTEXT on MariaDB/MySQL), so a query finds the same documents whatever the database.
 *
 * Chinese has no spaces: a CJK run is indexed as its characters (unigrams) and its overlapping pairs
 * (bigrams). A two-character word such as 投资 is then one term, and a longer query is the AND of its
 * pairs. Measured against jieba segmentation on the test corpus (docs/search.md): jieba's words miss
 * a query that cuts a word differently (投资 inside 投资额), bigrams do not.
 *
 * Each term is written as an ASCII token `q` + 4 base-36 digits per code point, so that:
 * - InnoDB's default innodb_ft_min_token_size (3) keeps every term (even a one-letter word is 5 chars);
 *   no server setting has to change, and MariaDB needs no ngram parser or plugin;
 * - nothing a visitor types reaches the engine's query syntax: operators and quotes are not letters or
 *   digits, so they are dropped by the tokenizer, and the tokens are made of [0-9a-z] only;
 * - the mapping is one-to-one (fixed width), and no token is on InnoDB's stopword list.
 */

/** Letters/digits of Latin and other alphabetic scripts: one word per run. */
const WORD = /[\p{L}\p{N}]/u
/** Han, kana, hangul: no spaces between words, indexed by characters and pairs. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
/** Longest alphabetic word kept (longer ones are cut, the same way at index and at query time): 20 code points make an 81-char token, under InnoDB's 84. */
const MAX_WORD = 20
/** A query of more terms is cut: a pasted paragraph must not become a 500-term AND. */
export const MAX_QUERY_TERMS = 12

/** Full-width forms to half-width (ＡＢＣ１２３ → ABC123) and case folded; traditional and simplified characters are left as typed. */
export function normalizeSearchText (text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

/**
 * Characters NFKC leaves alone, or turns from punctuation or space into punctuation or space (full-width
 * ，：！ and the ideographic space): ASCII, CJK punctuation up to U+3035, the unified ideographs, full-width
 * punctuation. Checked over every BMP code point (test/lib/search-text.test.ts).
 */
const NFKC_NOT_NEEDED = /^[\u0000-\u007f\u3000-\u3035\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e]*$/

/** Of the characters NFKC_NOT_NEEDED lets through, the only ones with a lower case. */
const ASCII_UPPER = /[A-Z]/

/**
 * normalizeSearchText for finding query words (letters, digits, CJK: never punctuation) in a text: the
 * same places and lengths, NFKC skipped when the text has nothing it would change there. The ranking folds
 * about a thousand titles and bodies a search; typical Chinese text (ideographs and full-width
 * punctuation) took 1.1 ms through NFKC and 0.4 ms with this check.
 */
export function foldForWords (text: string): string {
  if (!NFKC_NOT_NEEDED.test(text)) return normalizeSearchText(text)
  // Of these characters only A–Z have a lower case; toLowerCase copies a Chinese text even when nothing changes.
  return ASCII_UPPER.test(text) ? text.toLowerCase() : text
}

export interface TextRun { kind: 'cjk' | 'word', text: string }

/** The runs of indexable characters: CJK runs and alphabetic/digit words; everything else separates. */
export function textRuns (text: string): TextRun[] {
  const runs: TextRun[] = []
  let current: TextRun | null = null
  for (const ch of normalizeSearchText(text)) {
    const kind = CJK.test(ch) ? 'cjk' : WORD.test(ch) ? 'word' : null
    if (kind === null) {
      current = null
      continue
    }
    if (current === null || current.kind !== kind) {
      current = { kind, text: '' }
      runs.push(current)
    }
    current.text += ch
  }
  return runs
}

/** One term as its index token (exported for the engine measurement, test/search/engine-choice.test.ts). */
export function token (chars: string): string {
  let out = 'q'
  for (const ch of chars) out += (ch.codePointAt(0) ?? 0).toString(36).padStart(4, '0')
  return out
}

function cutWord (word: string): string {
  return Array.from(word).slice(0, MAX_WORD).join('')
}

/** The terms a document is indexed under (unigrams and bigrams of CJK runs, whole words otherwise), as tokens, in text order. */
export function documentTerms (text: string): string[] {
  const out: string[] = []
  for (const run of textRuns(text)) {
    if (run.kind === 'word') {
      out.push(token(cutWord(run.text)))
      continue
    }
    const chars = Array.from(run.text)
    for (let i = 0; i < chars.length; i++) {
      out.push(token(chars[i] ?? ''))
      if (i + 1 < chars.length) out.push(token((chars[i] ?? '') + (chars[i + 1] ?? '')))
    }
  }
  return out
}

/** What the index column stores: the tokens separated by spaces. */
export function indexText (text: string): string {
  return documentTerms(text).join(' ')
}

/**
 * The terms a query needs, all of them required: a one-character CJK run is its unigram, a longer run its
 * bigrams, a word itself. Duplicates dropped; at most MAX_QUERY_TERMS. Empty when nothing searchable was typed.
 */
export function queryTerms (query: string): string[] {
  const out = new Set<string>()
  for (const run of textRuns(query)) {
    if (run.kind === 'word') {
      out.add(token(cutWord(run.text)))
      continue
    }
    const chars = Array.from(run.text)
    if (chars.length === 1) out.add(token(chars[0] ?? ''))
    for (let i = 0; i + 1 < chars.length; i++) out.add(token((chars[i] ?? '') + (chars[i + 1] ?? '')))
  }
  return [...out].slice(0, MAX_QUERY_TERMS)
}

/** The words to highlight in a snippet: the query's runs as typed (normalized). */
export function highlightWords (query: string): string[] {
  return [...new Set(textRuns(query).map((r) => r.text))].sort((a, b) => b.length - a.length)
}

/** Markdown source to plain text for the index and snippets: markup characters and link targets go, words stay. */
export function plainText (markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, (block) => block.replace(/```\w*/g, ' '))
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, ' ')
    .replace(/[#>*_`~|[\]]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

export interface SnippetPart { text: string, hit: boolean }

const SURROGATE = /[\ud800-\udfff]/

/** A snippet's parts, built piece by piece: pieces of the same kind (hit or not) join into one part. */
function snippetParts (): { parts: SnippetPart[], push: (piece: string, hit: boolean) => void } {
  const parts: SnippetPart[] = []
  const push = (piece: string, hit: boolean): void => {
    if (piece === '') return
    const last = parts[parts.length - 1]
    if (last !== undefined && last.hit === hit) last.text += piece
    else parts.push({ text: piece, hit })
  }
  return { parts, push }
}

/**
 * A short piece of `text` around the first match of `words`, split into parts marked as hits. The
 * template prints each part escaped (a hit inside <em>), so no user HTML survives.
 *
 * Text without characters beyond the Basic Multilingual Plane (nearly all of it) is cut by string
 * offsets, which are then its characters: splitting a 4,000-character body into an array of characters
 * and folding all of it, as `snippetByCharacters` does for the rest, was 8 % of a search page's time.
 * Both give the same parts (test/lib/search-text.test.ts).
 */
export function snippet (text: string, words: readonly string[], length = 120): SnippetPart[] {
  if (SURROGATE.test(text)) return snippetByCharacters(text, words, length)
  // foldForWords finds words where normalizeSearchText would (same places and lengths).
  const haystack = foldForWords(text)
  if (haystack.length !== text.length || SURROGATE.test(haystack)) return snippetByCharacters(text, words, length)
  let first = -1
  for (const w of words) {
    const at = haystack.indexOf(w)
    if (at >= 0 && (first < 0 || at < first)) first = at
  }
  const start = Math.max(0, Math.min((first < 0 ? 0 : first) - Math.floor(length / 4), text.length - length))
  const end = Math.min(text.length, start + length)
  const { parts, push } = snippetParts()
  if (start > 0) push('…', false)
  let plainFrom = start
  let i = start
  while (i < end) {
    const w = words.find((word) => word !== '' && haystack.startsWith(word, i))
    if (w === undefined) {
      i++
      continue
    }
    push(text.slice(plainFrom, i), false)
    push(text.slice(i, Math.min(end, i + w.length)), true)
    i += w.length
    plainFrom = i
  }
  if (plainFrom < end) push(text.slice(plainFrom, end), false)
  if (end < text.length) push('…', false)
  return parts
}

/** snippet() for any text: by characters (code points), so a character beyond the BMP is never cut in two. */
export function snippetByCharacters (text: string, words: readonly string[], length = 120): SnippetPart[] {
  const chars = Array.from(text)
  const folded = Array.from(normalizeSearchText(text))
  // NFKC can change the length (ﬁ → fi): highlight only when the folded text lines up with the original.
  const aligned = folded.length === chars.length
  const haystack = folded.join('')
  let first = -1
  if (aligned) {
    for (const w of words) {
      const at = haystack.indexOf(w)
      if (at >= 0 && (first < 0 || at < first)) first = at
    }
  }
  const firstChar = first < 0 ? 0 : Array.from(haystack.slice(0, first)).length
  const start = Math.max(0, Math.min(firstChar - Math.floor(length / 4), chars.length - length))
  const end = Math.min(chars.length, start + length)
  const { parts, push } = snippetParts()
  if (start > 0) push('…', false)
  let i = start
  while (i < end) {
    let matched = 0
    if (aligned) {
      for (const w of words) {
        const wl = Array.from(w).length
        if (w !== '' && folded.slice(i, i + wl).join('') === w) {
          matched = wl
          break
        }
      }
    }
    if (matched > 0) {
      push(chars.slice(i, Math.min(end, i + matched)).join(''), true)
      i += matched
    } else {
      push(chars[i] ?? '', false)
      i++
    }
  }
  if (end < chars.length) push('…', false)
  return parts
}
