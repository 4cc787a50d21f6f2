import { buildTree, findCycles, inDisplayOrder, wouldCreateCycle, type TreeNode } from '../../src/lib/tree'

interface Node extends TreeNode<Node> { name: string }

const rows = [
  { id: 3, parent_id: 1, display_order: 2, name: '二手闲置' },
  { id: 1, parent_id: null, display_order: 1, name: '濠江生活' },
  { id: 2, parent_id: 1, display_order: 1, name: '街坊闲聊' },
  { id: 4, parent_id: 2, display_order: 0, name: '子版块' },
  { id: 5, parent_id: null, display_order: 0, name: '社区服务' },
  { id: 6, parent_id: 99, display_order: 9, name: '上级已删' }
]
const node = (r: typeof rows[number]): Node => ({ id: r.id, parentId: r.parent_id, name: r.name, children: [] })

describe('lib/tree', () => {
  it('builds roots and children in display order, then id; a row whose parent is missing is a root', () => {
    const tree = buildTree(rows, node)
    expect(tree.roots.map((n) => n.id)).toEqual([5, 1, 6])
    expect(tree.get(1)?.children.map((n) => n.id)).toEqual([2, 3])
    expect(tree.get(42)).toBeNull()
    expect(inDisplayOrder([{ id: 2, parent_id: null, display_order: 1 }, { id: 1, parent_id: null, display_order: 1 }]).map((r) => r.id)).toEqual([1, 2])
  })

  it('walks ancestors root first, descendants node first, and the whole tree depth-first with depths', () => {
    const tree = buildTree(rows, node)
    expect(tree.path(4).map((n) => n.name)).toEqual(['濠江生活', '街坊闲聊', '子版块'])
    expect(tree.path(42)).toEqual([])
    expect(tree.subtreeIds(1)).toEqual([1, 2, 4, 3])
    const walked: string[] = []
    tree.walk((n, depth) => walked.push(`${depth}:${n.id}`))
    expect(walked).toEqual(['0:5', '0:1', '1:2', '2:4', '1:3', '0:6'])
    expect(tree.nodes()).toHaveLength(rows.length)
  })

  it('survives a cycle in the rows (left unreachable, every walk stops) and finds it', () => {
    const cyclic = [...rows, { id: 7, parent_id: 8, display_order: 0, name: '甲' }, { id: 8, parent_id: 7, display_order: 0, name: '乙' }, { id: 9, parent_id: 7, display_order: 0, name: '丙' }]
    const tree = buildTree(cyclic, node)
    expect(tree.roots.map((n) => n.id)).toEqual([5, 1, 6])
    expect(tree.path(9).map((n) => n.id)).toEqual([8, 7, 9])
    expect(tree.subtreeIds(7).sort()).toEqual([7, 8, 9])
    expect(findCycles(cyclic)).toEqual([7, 8])
    expect(findCycles(rows)).toEqual([])
    expect(findCycles([{ id: 1, parent_id: 1 }])).toEqual([1])
  })

  it('says whether moving a node would make a cycle (under itself or its own descendant)', () => {
    expect(wouldCreateCycle(rows, 1, 4)).toBe(true)
    expect(wouldCreateCycle(rows, 2, 2)).toBe(true)
    expect(wouldCreateCycle(rows, 4, 5)).toBe(false)
    expect(wouldCreateCycle(rows, 1, null)).toBe(false)
    expect(wouldCreateCycle(rows, 3, 99)).toBe(false)
  })
})
