import { checkNodeFields, flattenTree, parseDisplayOrder, parseParentId, parseThreadTypes, reorderSiblings, storedThreadTypes } from '../../src/lib/structure-form'

describe('structure-form', () => {
  it('checks names by code points (20 汉字 or emoji pass, 21 do not)', () => {
    expect(checkNodeFields({ name: '字'.repeat(20), description: '', displayOrder: 0 }, '分类')).toEqual({})
    expect(checkNodeFields({ name: '😀'.repeat(20), description: '', displayOrder: 0 }, '分类')).toEqual({})
    expect(checkNodeFields({ name: '字'.repeat(21), description: '', displayOrder: 0 }, '分类').name).toBe('分类名称不能超过 20 个字')
    expect(checkNodeFields({ name: ' ', description: '', displayOrder: 0 }, '版块').name).toBe('请填写版块名称')
    expect(checkNodeFields({ name: 'a', description: 'x'.repeat(256), displayOrder: 0 }, '分类').description).toContain('255')
    expect(checkNodeFields({ name: 'a', description: '', displayOrder: null }, '分类').displayOrder).toContain('整数')
  })

  it('parses display orders and parents strictly', () => {
    expect(parseDisplayOrder('')).toBe(0)
    expect(parseDisplayOrder(' 12 ')).toBe(12)
    expect(parseDisplayOrder('-1')).toBeNull()
    expect(parseDisplayOrder('1.5')).toBeNull()
    expect(parseDisplayOrder('10000')).toBeNull()
    expect(parseParentId('')).toEqual({ ok: true, id: null })
    expect(parseParentId('0')).toEqual({ ok: true, id: null })
    expect(parseParentId('7')).toEqual({ ok: true, id: 7 })
    expect(parseParentId('07')).toEqual({ ok: false })
    expect(parseParentId('x')).toEqual({ ok: false })
  })

  it('parses 主题分类 one a line or comma-separated, dropping typed brackets, refusing duplicates and long labels', () => {
    expect(parseThreadTypes('[求助]\n【分享】，闲聊,\n\n')).toEqual({ ok: true, labels: ['求助', '分享', '闲聊'] })
    expect(parseThreadTypes('')).toEqual({ ok: true, labels: [] })
    expect(parseThreadTypes('求助\n求助')).toEqual({ ok: false, error: '主题分类“求助”重复了' })
    expect(parseThreadTypes('一二三四五六七八九')).toMatchObject({ ok: false })
    expect(parseThreadTypes('a[b')).toMatchObject({ ok: false })
    expect(parseThreadTypes(Array.from({ length: 21 }, (_, i) => `类${i}`).join('\n'))).toMatchObject({ ok: false })
    expect(storedThreadTypes('["求助","分享"]')).toEqual(['求助', '分享'])
    expect(storedThreadTypes('not json')).toEqual([])
    expect(storedThreadTypes(null)).toEqual([])
    expect(storedThreadTypes('{"a":1}')).toEqual([])
  })

  it('moves one sibling a step, renumbering equal orders, and refuses the edges', () => {
    const zero = new Map([[1, 0], [2, 0], [3, 0]])
    expect(reorderSiblings([1, 2, 3], 3, 'up', zero)).toEqual(new Map([[1, 10], [3, 20], [2, 30]]))
    expect(reorderSiblings([1, 2, 3], 1, 'down', new Map([[1, 10], [2, 20], [3, 30]]))).toEqual(new Map([[2, 10], [1, 20]]))
    expect(reorderSiblings([1, 2, 3], 1, 'up', zero)).toBeNull()
    expect(reorderSiblings([1, 2, 3], 3, 'down', zero)).toBeNull()
    expect(reorderSiblings([1, 2, 3], 9, 'up', zero)).toBeNull()
  })

  it('flattens rows into tree order with depths, listing rows on a cycle last so an admin can move them out', () => {
    const rows = [
      { id: 1, parent_id: null, display_order: 2 },
      { id: 2, parent_id: null, display_order: 1 },
      { id: 3, parent_id: 1, display_order: 0 },
      { id: 4, parent_id: 5, display_order: 0 },
      { id: 5, parent_id: 4, display_order: 0 }
    ]
    expect(flattenTree(rows).map((r) => [r.id, r.depth])).toEqual([[2, 0], [1, 0], [3, 1], [4, 0], [5, 0]])
  })
})
