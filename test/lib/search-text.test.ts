import fc from 'fast-check'
import { foldForWords, highlightWords, normalizeSearchText } from '../../src/lib/search-text'

/**
 * foldForWords skips NFKC for text it would not change where words are found. It must find the same
 * words at the same places as normalizeSearchText: checked for every code point of the Basic
 * Multilingual Plane, and over generated texts mixing the characters that matter.
 */
const WORD = /[\p{L}\p{N}\p{Script=Han}]/u

describe('foldForWords', () => {
  it('differs from normalizeSearchText only where a character that is not a letter, digit or ideograph stays one', () => {
    const differing: string[] = []
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const ch = String.fromCharCode(c)
      const fast = foldForWords(ch)
      const full = normalizeSearchText(ch)
      if (fast === full) continue
      if (fast.length !== full.length || WORD.test(fast) || WORD.test(full)) differing.push(`U+${c.toString(16)}`)
    }
    expect(differing).toEqual([])
  })

  it('counts a query word in a text exactly where normalizeSearchText does', () => {
    const pieces = fc.constantFrom('骑楼', '早茶', '，', '。', '　', 'ＡＢＣ', 'abc', 'ABC', '１２３', '123', 'ﬁ', '㈱', '⑴', '信號', ' ', '！', 'Ⅻ', 'ｶﾀｶﾅ', '😀')
    fc.assert(fc.property(fc.array(pieces, { maxLength: 30 }), fc.array(pieces, { minLength: 1, maxLength: 3 }), (textParts, queryParts) => {
      const text = textParts.join('')
      const fast = foldForWords(text)
      const full = normalizeSearchText(text)
      for (const word of highlightWords(queryParts.join(''))) {
        expect(fast.split(word).length).toBe(full.split(word).length)
        expect(fast.indexOf(word)).toBe(full.indexOf(word))
      }
    }))
  })

  it('is normalizeSearchText for text with full-width letters or compatibility characters', () => {
    expect(foldForWords('ＡＢＣ骑楼')).toBe('abc骑楼')
    expect(foldForWords('ﬁ⑴')).toBe(normalizeSearchText('ﬁ⑴'))
    expect(foldForWords('骑楼，早茶。')).toBe('骑楼，早茶。')
  })
})
