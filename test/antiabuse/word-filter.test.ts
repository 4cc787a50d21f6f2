import { normalizeWord, WordMatcher, type WordRule } from '../../src/lib/word-filter'

const rule = (word: string, action: WordRule['action'] = 'replace', replacement = '**'): WordRule => ({ word, action, replacement })

describe('word filter matcher', () => {
  it('normalizes words: NFKC, case, separators', () => {
    expect(normalizeWord('ＡＢＣ １２')).toBe('abc12')
    expect(normalizeWord('法-轮')).toBe('法轮')
    expect(normalizeWord('...')).toBe('')
  })

  it('replaces plain, full-width, upper-case and spaced variants, keeping other text as typed', () => {
    const m = new WordMatcher([rule('坏词'), rule('spam', 'replace', '[删]')])
    expect(m.scan('这是坏词吗').text).toBe('这是**吗')
    expect(m.scan('这是坏 词吗').text).toBe('这是**吗')
    expect(m.scan('这是坏，。词吗').text).toBe('这是**吗')
    expect(m.scan('buy ＳＰＡＭ now').text).toBe('buy [删] now')
    expect(m.scan('buy S.P.A.M now').text).toBe('buy [删] now')
    expect(m.scan('buy s p a m now').text).toBe('buy [删] now')
    expect(m.scan('Spam! Spam!').text).toBe('[删]! [删]!')
    expect(m.scan('没有问题 😀 ok').text).toBe('没有问题 😀 ok')
  })

  it('does not glue words across long gaps or line breaks, and matches Latin words whole', () => {
    const m = new WordMatcher([rule('坏词'), rule('sb', 'block')])
    expect(m.scan('坏\n词').text).toBe('坏\n词')
    expect(m.scan('坏 . . . . 词').text).toBe('坏 . . . . 词')
    expect(m.scan('this beat').blocked).toEqual([])
    expect(m.scan('usb cable').blocked).toEqual([])
    expect(m.scan('you are s b').blocked).toEqual(['sb'])
    expect(m.scan('ＳＢ').blocked).toEqual(['sb'])
  })

  it('reports block and moderate words and handles overlapping words (leftmost longest replaced)', () => {
    const m = new WordMatcher([rule('ab'), rule('abc', 'replace', '#'), rule('代开', 'moderate'), rule('发票', 'block'), rule('bcd')])
    const scan = m.scan('代开发票')
    expect(scan.blocked).toEqual(['发票'])
    expect(scan.moderated).toEqual(['代开'])
    expect(m.scan('x abcd y').text).toBe('x abcd y') // Latin words match whole words only
    expect(m.scan('x abc y').text).toBe('x # y')
    const cjk = new WordMatcher([rule('中国'), rule('中国人', 'replace', '#'), rule('国人')])
    expect(cjk.scan('我是中国人').text).toBe('我是#')
    expect(cjk.scan('美国人').text).toBe('美**')
  })

  it('the stricter action wins for the same normalized word', () => {
    const m = new WordMatcher([rule('坏词', 'replace'), rule('坏 词', 'block')])
    expect(m.size).toBe(1)
    expect(m.scan('坏词').blocked).toEqual(['坏 词'])
  })

  it('is fast with thousands of words', () => {
    const words: WordRule[] = []
    for (let i = 0; i < 5000; i++) words.push(rule(`词${i.toString(36)}语${i}`))
    words.push(rule('目标词'))
    const started = Date.now()
    const m = new WordMatcher(words)
    const text = '这是一段很长的正常文本，没有任何问题。'.repeat(500) + '目标词'
    let result = ''
    for (let i = 0; i < 20; i++) result = m.scan(text).text
    expect(result.endsWith('**')).toBe(true)
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
