import { isWordAction, type WordAction } from './word-filter'

/**
 * The 屏蔽词 list as text, one `word=action[=replacement]` a line (the admin centre's import and
 * export). Pure: no database, no Fastify. The action may be written in English (block, moderate,
 * replace, any case) or Chinese (禁止, 审核, 替换 and the admin page's own names); blank lines and
 * lines starting with `#` are skipped. A word may itself contain `=`: the action is the first part
 * after the word that names one, so `a=b=block` is the word `a=b`.
 */

export interface WordLine { line: number, word: string, action: WordAction, replacement: string }
export interface WordLineError { line: number, text: string, message: string }

export const MAX_IMPORT_LINES = 5000
const MAX_WORD = 100

const ACTION_ALIASES: Readonly<Record<string, WordAction>> = {
  block: 'block', moderate: 'moderate', replace: 'replace',
  禁止: 'block', 禁止发表: 'block', 屏蔽: 'block',
  审核: 'moderate', 需要审核: 'moderate',
  替换: 'replace'
}

function actionOf (raw: string): WordAction | null {
  const key = raw.trim()
  const found = ACTION_ALIASES[key] ?? ACTION_ALIASES[key.toLowerCase()]
  return found !== undefined && isWordAction(found) ? found : null
}

export const wordLineMessages = {
  noAction: '缺少处理方式（格式：词语=block|moderate|replace[=替换内容]）',
  emptyWord: '词语为空',
  wordTooLong: `词语超过 ${MAX_WORD} 个字符`,
  replacementTooLong: `替换内容超过 ${MAX_WORD} 个字符`,
  replacementNotAllowed: '只有 replace（替换）可以带替换内容',
  duplicate: (first: number) => `与第 ${first} 行的词语重复`,
  tooMany: `一次最多导入 ${MAX_IMPORT_LINES} 行`,
  nothing: '没有可导入的词语'
} as const

/**
 * Parses the whole text: every good line, and every bad one with its number and why. `keyOf` gives
 * a word's matching key (the normalized form), so two spellings of one word are reported as a duplicate.
 */
export function parseWordLines (text: string, keyOf: (word: string) => string): { lines: WordLine[], errors: WordLineError[] } {
  const lines: WordLine[] = []
  const errors: WordLineError[] = []
  const seen = new Map<string, number>()
  const rows = text.replace(/\r\n?/g, '\n').split('\n')
  let counted = 0
  rows.forEach((raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    counted++
    if (counted > MAX_IMPORT_LINES) {
      if (counted === MAX_IMPORT_LINES + 1) errors.push({ line, text: trimmed, message: wordLineMessages.tooMany })
      return
    }
    const parts = trimmed.split('=')
    const at = parts.findIndex((p, j) => j >= 1 && actionOf(p) !== null)
    if (at < 1) { errors.push({ line, text: trimmed, message: wordLineMessages.noAction }); return }
    const word = parts.slice(0, at).join('=').trim()
    const action = actionOf(parts[at] ?? '') as WordAction
    const rest = parts.slice(at + 1)
    const replacement = rest.join('=').trim()
    const key = keyOf(word)
    if (word === '' || key === '') { errors.push({ line, text: trimmed, message: wordLineMessages.emptyWord }); return }
    if ([...word].length > MAX_WORD) { errors.push({ line, text: trimmed, message: wordLineMessages.wordTooLong }); return }
    if (rest.length > 0 && action !== 'replace') { errors.push({ line, text: trimmed, message: wordLineMessages.replacementNotAllowed }); return }
    if ([...replacement].length > MAX_WORD) { errors.push({ line, text: trimmed, message: wordLineMessages.replacementTooLong }); return }
    const first = seen.get(key)
    if (first !== undefined) { errors.push({ line, text: trimmed, message: wordLineMessages.duplicate(first) }); return }
    seen.set(key, line)
    lines.push({ line, word, action, replacement: action === 'replace' ? (replacement === '' ? '**' : replacement) : '' })
  })
  return { lines, errors }
}

/** One exported line; `replace` words always carry their replacement, so export → import is the identity. */
export function formatWordLine (w: { word: string, action: WordAction, replacement: string }): string {
  return w.action === 'replace' ? `${w.word}=replace=${w.replacement}` : `${w.word}=${w.action}`
}
