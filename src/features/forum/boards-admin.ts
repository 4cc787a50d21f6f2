import type { Knex } from 'knex'
import { inDisplayOrder, wouldCreateCycle } from '../../lib/tree'
import {
  checkNodeFields, refused, reorderSiblings, storedThreadTypes,
  type NodeErrors, type RecordStructureChange, type StructureResult
} from '../../lib/structure-form'
import type { SearchIndex } from '../search'
import { forumSearchSync } from './search-documents'
import { forumRepository } from './repository'

/**
 * 论坛版块 from /admin/boards: groups (分区), boards and sub-boards — create, edit (rename, move, order,
 * members-only, 主题分类 labels), reorder, delete an empty one. Each change is one transaction with
 * its audit row (`record`, given by the admin feature); a refusal writes nothing. The board tree is
 * read fresh by every page (context.ts), so a change shows on the next page of every process.
 *
 * The shape is Discuz's: a group is top-level; a board hangs under a group; a sub-board under a board
 * that hangs under a group — never deeper. Counters stay on each board's own row (lists add the
 * children's up), so moving a board with its threads moves nothing else.
 */

export type BoardKind = 'group' | 'board'

export interface BoardAdminRow {
  id: number
  parent_id: number | null
  is_group: boolean
  name: string
  description: string
  display_order: number
  guest_visible: boolean
  thread_types: string[]
  thread_count: number
  post_count: number
}

export interface BoardInput {
  name: string
  description: string
  parentId: number | null
  displayOrder: number | null
  /** false: 仅会员可见 (guests never see it, nor anything under it). */
  guestVisible: boolean
  threadTypes: string[]
}

export const boardMessages = {
  notFound: '抱歉，您指定的版块不存在',
  parentRequired: '版块必须属于一个分区或上级版块',
  parentMissing: '上级分区或版块不存在',
  tooDeep: '子版块下不能再建版块（最多：分区 → 版块 → 子版块）',
  hasSubBoards: '该版块已有子版块，不能再移到其他版块之下',
  cycle: '不能把版块移到它自己或它的下级版块之下',
  duplicate: '同一上级下已有同名版块',
  hasChildren: '该分区或版块下还有版块，请先移走或删除它们',
  hasThreads: (n: number) => `该版块中还有 ${n} 个主题，请先把主题移到其他版块或删除`,
  edge: '已经在最前（或最后），无法再移动'
} as const

const COLUMNS = ['id', 'parent_id', 'is_group', 'name', 'description', 'display_order', 'guest_visible', 'thread_types', 'thread_count', 'post_count'] as const

interface StoredRow extends Omit<BoardAdminRow, 'is_group' | 'guest_visible' | 'thread_types'> {
  is_group: number | boolean
  guest_visible: number | boolean
  thread_types: string | null
}

function rowOf (r: StoredRow): BoardAdminRow {
  return { ...r, is_group: Boolean(r.is_group), guest_visible: Boolean(r.guest_visible), thread_types: storedThreadTypes(r.thread_types) }
}

export function boardsAdmin (db: Knex, searchIndex?: SearchIndex) {
  // A board opened to guests or closed (or moved under another group) changes who may find its threads.
  const search = searchIndex === undefined ? null : forumSearchSync(searchIndex, forumRepository(db))
  async function rows (trx: Knex | Knex.Transaction = db): Promise<BoardAdminRow[]> {
    return inDisplayOrder((await trx('boards').select<StoredRow[]>(...COLUMNS)).map(rowOf))
  }

  /** Where a board (or a new one, id null) may hang: under a group, or under a board that hangs under a group. */
  function checkParent (all: readonly BoardAdminRow[], id: number | null, parentId: number | null): string | undefined {
    if (parentId === null) return boardMessages.parentRequired
    const parent = all.find((r) => r.id === parentId)
    if (parent === undefined) return boardMessages.parentMissing
    if (id !== null && wouldCreateCycle(all, id, parentId)) return boardMessages.cycle
    if (!parent.is_group) {
      const grand = all.find((r) => r.id === parent.parent_id)
      if (grand === undefined || !grand.is_group) return boardMessages.tooDeep
      if (id !== null && all.some((r) => r.parent_id === id)) return boardMessages.hasSubBoards
    }
    return undefined
  }

  function check (all: readonly BoardAdminRow[], input: BoardInput, id: number | null, kind: BoardKind): NodeErrors {
    const errors = checkNodeFields(input, kind === 'group' ? '分区' : '版块')
    if (kind === 'board') {
      const parentError = checkParent(all, id, input.parentId)
      if (parentError !== undefined) errors.parentId = parentError
    }
    const name = input.name.trim()
    const parentId = kind === 'group' ? null : input.parentId
    if (errors.name === undefined && all.some((r) => r.id !== id && r.parent_id === parentId && r.name === name)) errors.name = boardMessages.duplicate
    return errors
  }

  const stored = (input: BoardInput, kind: BoardKind): Record<string, unknown> => ({
    parent_id: kind === 'group' ? null : input.parentId,
    is_group: kind === 'group',
    name: input.name.trim(),
    description: input.description.trim(),
    display_order: input.displayOrder ?? 0,
    guest_visible: input.guestVisible,
    // Groups hold no threads: their labels would never be offered.
    thread_types: kind === 'group' || input.threadTypes.length === 0 ? null : JSON.stringify(input.threadTypes)
  })

  async function inTransaction (change: (trx: Knex.Transaction, all: BoardAdminRow[]) => Promise<StructureResult>): Promise<StructureResult> {
    return await db.transaction(async (trx) => {
      // Two admins moving boards at once must not each pass the checks against the old tree (MySQL);
      // SQLite serializes writers anyway. Boards before threads: the forum's lock order.
      if (trx.client.config.client === 'mysql2') await trx('boards').orderBy('id').forUpdate().select('id')
      return await change(trx, await rows(trx))
    })
  }

  return {
    /** Every group and board in display order (a tree is built by the page). */
    list: async (): Promise<BoardAdminRow[]> => await rows(),

    async get (id: number): Promise<BoardAdminRow | null> {
      return (await rows()).find((r) => r.id === id) ?? null
    },

    async create (kind: BoardKind, input: BoardInput, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const errors = check(all, input, null, kind)
        if (Object.keys(errors).length > 0) return refused(errors)
        const values = stored(input, kind)
        const [id] = await trx('boards').insert(values)
        await record(trx, { action: 'board_create', targetId: Number(id), before: null, after: values })
        return { ok: true, id: Number(id) }
      })
    },

    /** Rename, describe, move (boards only), order, 仅会员可见, 主题分类. Counters stay on the board's row. */
    async update (id: number, input: BoardInput, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const before = all.find((r) => r.id === id)
        if (before === undefined) return refused({ name: boardMessages.notFound })
        const kind: BoardKind = before.is_group ? 'group' : 'board'
        const errors = check(all, input, id, kind)
        if (Object.keys(errors).length > 0) return refused(errors)
        const values = stored(input, kind)
        await trx('boards').where({ id }).update(values)
        await search?.syncBoards(trx)
        const shown = { id, parent_id: before.parent_id, is_group: before.is_group, name: before.name, description: before.description, display_order: before.display_order, guest_visible: before.guest_visible, thread_types: before.thread_types.length === 0 ? null : JSON.stringify(before.thread_types) }
        await record(trx, { action: 'board_edit', targetId: id, before: shown, after: { id, ...values } })
        return { ok: true, id }
      })
    },

    async reorder (id: number, direction: 'up' | 'down', record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const node = all.find((r) => r.id === id)
        if (node === undefined) return refused({ name: boardMessages.notFound })
        const siblings = all.filter((r) => r.parent_id === node.parent_id)
        const changes = reorderSiblings(siblings.map((r) => r.id), id, direction, new Map(siblings.map((r) => [r.id, r.display_order])))
        if (changes === null) return refused({ displayOrder: boardMessages.edge })
        for (const [siblingId, order] of changes) await trx('boards').where({ id: siblingId }).update({ display_order: order })
        const before = Object.fromEntries(siblings.map((r) => [r.id, r.display_order]))
        await record(trx, { action: 'board_order', targetId: id, before, after: { ...before, ...Object.fromEntries(changes) } })
        return { ok: true, id }
      })
    },

    /** Deletes a group without boards, or a board without sub-boards and without threads (of any status). */
    async remove (id: number, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const before = all.find((r) => r.id === id)
        if (before === undefined) return refused({ name: boardMessages.notFound })
        if (all.some((r) => r.parent_id === id)) return refused({ name: boardMessages.hasChildren })
        const counted = await trx('threads').where({ board_id: id }).count<Array<{ n: number | string }>>({ n: '*' })
        const threads = Number(counted[0]?.n ?? 0)
        if (threads > 0) return refused({ name: boardMessages.hasThreads(threads) })
        await trx('boards').where({ id }).delete()
        await record(trx, { action: 'board_delete', targetId: id, before, after: null })
        return { ok: true, id }
      })
    }
  }
}

export type BoardsAdmin = ReturnType<typeof boardsAdmin>
