import { relevanceScore } from '../../src/lib/search-rank'

const doc = (title: string, body: string, ownsTitle = true) => ({ title, ownsTitle, body, bodyLength: Array.from(body).length })

describe('relevanceScore (the ranking of search candidates, both databases)', () => {
  it('weighs a word in the title over the same word in the body', () => {
    expect(relevanceScore(doc('荔枝节', '今年六月'), ['荔枝'])).toBeGreaterThan(relevanceScore(doc('六月', '今年荔枝节'), ['荔枝']))
  })

  it("counts a reply's borrowed thread title like body text, so the thread ranks over its replies", () => {
    const thread = relevanceScore(doc('荔枝节', '今年的荔枝节在六月。'), ['荔枝'])
    const reply = relevanceScore(doc('荔枝节', '荔枝很甜。', false), ['荔枝'])
    expect(thread).toBeGreaterThan(reply)
  })

  it('rises with repetitions, saturating, and falls with length', () => {
    const once = relevanceScore(doc('新闻', '投资'), ['投资'])
    const twice = relevanceScore(doc('新闻', '投资投资'), ['投资'])
    const many = relevanceScore(doc('新闻', '投资'.repeat(50)), ['投资'])
    expect(twice).toBeGreaterThan(once)
    expect(many).toBeLessThan(2.2) // BM25's saturation: a body word never scores above k1 + 1
    const short = relevanceScore(doc('新闻', '全区工业投资增长'), ['投资'])
    const long = relevanceScore(doc('新闻', `全区工业投资增长${'。'.repeat(2000)}`), ['投资'])
    expect(short).toBeGreaterThan(long)
  })

  it('matches full-width and upper-case text as the index does (the words come normalised)', () => {
    expect(relevanceScore(doc('ＡＢＣ公司', ''), ['abc'])).toBeGreaterThan(0)
    expect(relevanceScore(doc('无关', '无关'), ['abc'])).toBe(0)
  })

  it('scores every word of a query and counts a long body by its whole length', () => {
    const both = relevanceScore(doc('早茶', '骑楼'), ['早茶', '骑楼'])
    const one = relevanceScore(doc('早茶', '码头'), ['早茶', '骑楼'])
    expect(both).toBeGreaterThan(one)
    const opening = { title: '新闻', ownsTitle: true, body: '投资', bodyLength: 5000 }
    expect(relevanceScore(opening, ['投资'])).toBeLessThan(relevanceScore(doc('新闻', '投资'), ['投资']))
  })
})
