/**
 * A parent/children tree built from flat rows: the portal's categories and the forum's boards (groups
 * → boards → sub-boards) are the same shape, kept in one table each with a `parent_id` and a
 * `display_order`. Pure: no database, no Fastify.
 *
 * The rows come from tables an admin (or a Discuz import, or a hand edit in the database) changes, so
 * nothing here trusts them to be a proper tree: a row whose parent is missing is a root, a row on a
 * cycle (A under B under A) hangs under nothing and is reached from no root, and every walk up or down
 * stops at a node it has already seen. `findCycles` / `wouldCreateCycle` let an admin form refuse such
 * a change before it is written.
 */

/** What a node of a tree holds: its id, its parent's, and its children (filled in by the tree). */
export interface TreeNode<N> {
  id: number
  parentId: number | null
  children: N[]
}

/** The columns a tree is built from. */
export interface TreeRow {
  id: number
  parent_id: number | null
  /** Siblings are shown by this, then by id (rows without one sort as 0). */
  display_order?: number
}

export class Tree<N extends TreeNode<N>> {
  /** Top-level nodes (no parent, or a parent that does not exist), in display order. */
  readonly roots: N[]
  private readonly byId: Map<number, N>

  /** `nodes` in display order: each node's children keep it. Their `children` lists are filled here. */
  constructor (nodes: Iterable<N>) {
    this.byId = new Map()
    for (const node of nodes) this.byId.set(node.id, node)
    this.roots = []
    for (const node of this.byId.values()) {
      const parent = node.parentId === null ? undefined : this.byId.get(node.parentId)
      if (parent === undefined) this.roots.push(node)
      else parent.children.push(node)
    }
  }

  get (id: number): N | null { return this.byId.get(id) ?? null }

  /** Every node, in the order given (not only those reachable from a root). */
  nodes (): N[] { return [...this.byId.values()] }

  /** The node and its ancestors, root first (breadcrumbs); empty when there is no such node. */
  path (id: number): N[] {
    const out: N[] = []
    const seen = new Set<number>()
    let node = this.byId.get(id)
    while (node !== undefined && !seen.has(node.id)) {
      seen.add(node.id)
      out.unshift(node)
      node = node.parentId === null ? undefined : this.byId.get(node.parentId)
    }
    return out
  }

  /** The node's id and all its descendants' ids, the node first. */
  subtreeIds (id: number): number[] {
    const out: number[] = []
    const seen = new Set<number>()
    const stack = [this.byId.get(id)]
    while (stack.length > 0) {
      const node = stack.pop()
      if (node === undefined || seen.has(node.id)) continue
      seen.add(node.id)
      out.push(node.id)
      stack.push(...[...node.children].reverse())
    }
    return out
  }

  /** Depth-first from the roots in display order, with each node's depth (0 for a root). */
  walk (visit: (node: N, depth: number) => void): void {
    const seen = new Set<number>()
    const down = (list: readonly N[], depth: number): void => {
      for (const node of list) {
        if (seen.has(node.id)) continue
        seen.add(node.id)
        visit(node, depth)
        down(node.children, depth + 1)
      }
    }
    down(this.roots, 0)
  }
}

/** Rows in display order: by display_order, then id (the order the pages show siblings in). */
export function inDisplayOrder<R extends TreeRow> (rows: readonly R[]): R[] {
  return [...rows].sort((a, b) => (a.display_order ?? 0) - (b.display_order ?? 0) || a.id - b.id)
}

/** Builds a tree from rows: each row becomes a node through `toNode` (which starts it with `children: []`). */
export function buildTree<R extends TreeRow, N extends TreeNode<N>> (rows: readonly R[], toNode: (row: R) => N): Tree<N> {
  return new Tree(inDisplayOrder(rows).map(toNode))
}

/** Ids of the rows that sit on a parent cycle (each reaches itself by following parent_id), ascending. */
export function findCycles (rows: ReadonlyArray<Pick<TreeRow, 'id' | 'parent_id'>>): number[] {
  const parentOf = new Map(rows.map((r) => [r.id, r.parent_id]))
  const onCycle = new Set<number>()
  const settled = new Set<number>()
  for (const start of parentOf.keys()) {
    // Follow parents from `start`, remembering where each step was, until a root, a missing parent,
    // a node already settled, or a node seen on this walk (then the walk from there on is a cycle).
    const walk: number[] = []
    const index = new Map<number, number>()
    let id: number | null | undefined = start
    while (id !== null && id !== undefined && parentOf.has(id) && !settled.has(id)) {
      const at = index.get(id)
      if (at !== undefined) {
        for (const cycleId of walk.slice(at)) onCycle.add(cycleId)
        break
      }
      index.set(id, walk.length)
      walk.push(id)
      id = parentOf.get(id)
    }
    for (const seen of walk) settled.add(seen)
  }
  return [...onCycle].sort((a, b) => a - b)
}

/** True when putting `id` under `newParentId` would make a cycle (under itself, or under its own descendant). */
export function wouldCreateCycle (rows: ReadonlyArray<Pick<TreeRow, 'id' | 'parent_id'>>, id: number, newParentId: number | null): boolean {
  if (newParentId === null) return false
  const parentOf = new Map(rows.map((r) => [r.id, r.parent_id]))
  const seen = new Set<number>()
  let at: number | null | undefined = newParentId
  while (at !== null && at !== undefined && !seen.has(at)) {
    if (at === id) return true
    seen.add(at)
    at = parentOf.get(at)
  }
  return false
}
