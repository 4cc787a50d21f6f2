import { buildTree, type Tree } from '../../lib/tree'
import { storedThreadTypes } from '../../lib/structure-form'
import type { AuthUser } from '../../lib/permissions'
import type { BoardRow } from './repository'

/** The board tree (groups → boards → sub-boards) and who may see which board. */

export interface Board {
  id: number
  parentId: number | null
  isGroup: boolean
  name: string
  description: string
  guestVisible: boolean
  /** 主题分类 offered when opening a thread here (none: no select). */
  threadTypes: string[]
  threadCount: number
  postCount: number
  /** Posts since the start of today (site day): 0 when the stored counter is from another day. */
  todayPosts: number
  lastPost: { threadId: number, title: string, posterName: string, at: number } | null
  children: Board[]
}

function boardOf (r: BoardRow, today: number): Board {
  return {
    id: r.id,
    parentId: r.parent_id,
    isGroup: Boolean(r.is_group),
    name: r.name,
    description: r.description,
    guestVisible: Boolean(r.guest_visible),
    threadTypes: storedThreadTypes(r.thread_types),
    threadCount: r.thread_count,
    postCount: r.post_count,
    todayPosts: r.today_date === today ? r.today_posts : 0,
    lastPost: r.last_thread_id !== null && r.last_post_at !== null
      ? { threadId: r.last_thread_id, title: r.last_thread_title ?? '', posterName: r.last_poster_name ?? '', at: r.last_post_at }
      : null,
    children: []
  }
}

export class BoardTree {
  private readonly tree: Tree<Board>

  /** `today`: the start of the site day, for the 今日 counters. */
  constructor (rows: readonly BoardRow[], today: number) {
    this.tree = buildTree(rows, (r) => boardOf(r, today))
  }

  get roots (): Board[] { return this.tree.roots }

  get (id: number): Board | null { return this.tree.get(id) }

  /** The board and its ancestors, group first (for breadcrumbs). */
  path (id: number): Board[] { return this.tree.path(id) }

  /** Members see every board; guests only boards that, with every board above them, are open to guests. */
  visibleTo (viewer: AuthUser | null, id: number): boolean {
    const path = this.path(id)
    if (path.length === 0) return false
    return viewer !== null || path.every((b) => b.guestVisible)
  }

  /** Ids of the boards (not groups) a reader may see: for lists that span boards. */
  visibleBoardIds (viewer: AuthUser | null): number[] {
    return this.tree.nodes().filter((b) => !b.isGroup && this.visibleTo(viewer, b.id)).map((b) => b.id)
  }

  /** A reader's copy of the tree with the boards they may not see left out. */
  prunedFor (viewer: AuthUser | null): Board[] {
    const prune = (list: Board[]): Board[] => list.filter((b) => this.visibleTo(viewer, b.id)).map((b) => ({ ...b, children: prune(b.children) }))
    return prune(this.roots)
  }

  /** Boards a thread may be moved to, with their depth for indentation. */
  boardsForMove (): Array<{ id: number, name: string, depth: number }> {
    const out: Array<{ id: number, name: string, depth: number }> = []
    this.tree.walk((b, depth) => {
      if (!b.isGroup) out.push({ id: b.id, name: b.name, depth })
    })
    return out
  }
}

/** The forum index's totals: every board the reader sees, sub-boards included. */
export function boardTotals (groups: readonly Board[]): { threads: number, posts: number, today: number } {
  let threads = 0; let posts = 0; let today = 0
  const add = (list: readonly Board[]): void => {
    for (const b of list) {
      threads += b.threadCount; posts += b.postCount; today += b.todayPosts
      add(b.children)
    }
  }
  add(groups)
  return { threads, posts, today }
}
