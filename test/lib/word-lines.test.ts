import { normalizeWord } from '../../src/lib/word-filter'
import { formatWordLine, MAX_IMPORT_LINES, parseWordLines } from '../../src/lib/word-lines'

describe('屏蔽词 text lines', () => {
  const parse = (text: string): ReturnType<typeof parseWordLines> => parseWordLines(text, normalizeWord)

  it('reads word=action[=replacement], English in any case or Chinese, skipping blanks and comments; CRLF too', () => {
    const { lines, errors } = parse('# c\r\n甲=BLOCK\r\n\r\n乙=需要审核\n丙=替换\n丁=replace=*=*\n x = block ')
    expect(errors).toEqual([])
    expect(lines).toEqual([
      { line: 2, word: '甲', action: 'block', replacement: '' },
      { line: 4, word: '乙', action: 'moderate', replacement: '' },
      { line: 5, word: '丙', action: 'replace', replacement: '**' },
      { line: 6, word: '丁', action: 'replace', replacement: '*=*' },
      { line: 7, word: 'x', action: 'block', replacement: '' }
    ])
  })

  it('finds duplicates by the matching key (full-width and case fold)', () => {
    const { errors } = parse('ABC=block\nａｂｃ=moderate')
    expect(errors).toEqual([{ line: 2, text: 'ａｂｃ=moderate', message: '与第 1 行的词语重复' }])
  })

  it('stops past the line limit with one message', () => {
    const text = Array.from({ length: MAX_IMPORT_LINES + 3 }, (_, i) => `w${i}=block`).join('\n')
    const { lines, errors } = parse(text)
    expect(lines).toHaveLength(MAX_IMPORT_LINES)
    expect(errors).toEqual([{ line: MAX_IMPORT_LINES + 1, text: `w${MAX_IMPORT_LINES}=block`, message: '一次最多导入 5000 行' }])
  })

  it('formats lines that parse back to themselves', () => {
    const words = [{ word: 'a=b', action: 'block' as const, replacement: '**' }, { word: '脏', action: 'replace' as const, replacement: '口=口' }]
    const { lines } = parse(words.map(formatWordLine).join('\n'))
    expect(lines.map(({ word, action, replacement }) => ({ word, action, replacement }))).toEqual([
      { word: 'a=b', action: 'block', replacement: '' },
      { word: '脏', action: 'replace', replacement: '口=口' }
    ])
  })
})
