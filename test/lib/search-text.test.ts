import fc from 'fast-check'
import { foldForWords, highlightWords, normalizeSearchText, snippet, snippetByCharacters } from '../../src/lib/search-text'

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

describe('snippet', () => {
  // snippet() cuts text by string offsets when nothing in it is beyond the BMP; snippetByCharacters by
  // characters, for any text. They must give the same parts: over generated texts and queries (with
  // full-width forms, compatibility characters, case, an emoji), of every length around the cut.
  it('gives the parts snippetByCharacters gives, for any text, query and length', () => {
    const pieces = fc.constantFrom('骑楼', '早茶', '骑', '，', '。', '　', 'ＡＢＣ', 'abc', 'ABC', '１２３', '123', 'ﬁ', '㈱', '⑴', '信號', ' ', '！', 'Ⅻ', 'ｶﾀｶﾅ', '😀', '<b>', '&')
    fc.assert(fc.property(fc.array(pieces, { maxLength: 60 }), fc.array(pieces, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 40 }), (textParts, queryParts, length) => {
      const text = textParts.join('')
      const words = highlightWords(queryParts.join(''))
      expect(snippet(text, words, length)).toEqual(snippetByCharacters(text, words, length))
    }), { numRuns: 2000 })
  })

  it('cuts around the first match with … on each cut side, the words marked as hits', () => {
    const body = '甲'.repeat(100) + '骑楼早茶' + '乙'.repeat(100)
    const parts = snippet(body, highlightWords('早茶 骑楼'), 20)
    expect(parts).toEqual([
      { text: '…' + '甲'.repeat(5), hit: false },
      { text: '骑楼早茶', hit: true },
      { text: '乙'.repeat(11) + '…', hit: false }
    ])
    expect(snippet('ＡＢＣ骑楼', highlightWords('abc'))).toEqual([{ text: 'ＡＢＣ', hit: true }, { text: '骑楼', hit: false }])
  })
})
