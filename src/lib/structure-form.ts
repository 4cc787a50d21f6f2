import type { Knex } from 'knex'
import { buildTree } from './tree'

/**
 * The rules the 门户频道 and 论坛版块 admin forms share (pure: no database, no Fastify): a node's name,
 * description and display order, a board's 主题分类 labels, and moving one node among its siblings.
 */

export const NODE_NAME_MAX = 20
export const NODE_DESCRIPTION_MAX = 255
export const DISPLAY_ORDER_MAX = 9999
export const THREAD_TYPE_MAX = 8
export const THREAD_TYPES_MAX = 20

/** A field → message map: empty means valid. */
export type NodeErrors = Partial<Record<'name' | 'description' | 'displayOrder' | 'parentId' | 'threadTypes' | 'kind', string>>

/** Counts code points, so a name of 20 汉字 (or emoji) is 20, not its UTF-16 length. */
export function textLength (text: string): number {
  return [...text].length
}

export interface NodeFields { name: string, description: string, displayOrder: number | null }

/** Checks name (1–20), description (≤ 255) and display order (an integer 0–9999). */
export function checkNodeFields (fields: NodeFields, what: string): NodeErrors {
  const errors: NodeErrors = {}
  const name = fields.name.trim()
  if (name === '') errors.name = `请填写${what}名称`
  else if (textLength(name) > NODE_NAME_MAX) errors.name = `${what}名称不能超过 ${NODE_NAME_MAX} 个字`
  else if (/[\r\n\t]/.test(name)) errors.name = `${what}名称不能包含换行或制表符`
  if (textLength(fields.description) > NODE_DESCRIPTION_MAX) errors.description = `${what}简介不能超过 ${NODE_DESCRIPTION_MAX} 个字`
  if (fields.displayOrder === null || !Number.isInteger(fields.displayOrder) || fields.displayOrder < 0 || fields.displayOrder > DISPLAY_ORDER_MAX) {
    errors.displayOrder = `显示顺序须为 0 到 ${DISPLAY_ORDER_MAX} 之间的整数`
  }
  return errors
}

/** A posted display order: digits only, else null (the check above names the field). */
export function parseDisplayOrder (raw: string | undefined): number | null {
  const text = (raw ?? '').trim()
  if (text === '') return 0
  return /^\d{1,4}$/.test(text) ? Number(text) : null
}

/** A posted parent: '' or '0' is none (top level), digits an id, anything else null + invalid. */
export function parseParentId (raw: string | undefined): { ok: true, id: number | null } | { ok: false } {
  const text = (raw ?? '').trim()
  if (text === '' || text === '0') return { ok: true, id: null }
  return /^[1-9]\d{0,9}$/.test(text) ? { ok: true, id: Number(text) } : { ok: false }
}

/**
 * A board's 主题分类 typed one a line (or separated by commas): trimmed, brackets a user typed
 * around a label (`[求助]`) dropped, blanks skipped, duplicates refused rather than merged silently.
 */
export function parseThreadTypes (text: string): { ok: true, labels: string[] } | { ok: false, error: string } {
  const labels: string[] = []
  for (const raw of text.split(/[\r\n,，]+/)) {
    const label = raw.trim().replace(/^[[【]\s*/, '').replace(/\s*[\]】]$/, '').trim()
    if (label === '') continue
    if (textLength(label) > THREAD_TYPE_MAX) return { ok: false, error: `主题分类“${label}”超过 ${THREAD_TYPE_MAX} 个字` }
    if (/[[\]【】]/.test(label)) return { ok: false, error: `主题分类“${label}”不能包含方括号` }
    if (labels.includes(label)) return { ok: false, error: `主题分类“${label}”重复了` }
    labels.push(label)
  }
  if (labels.length > THREAD_TYPES_MAX) return { ok: false, error: `主题分类最多 ${THREAD_TYPES_MAX} 个` }
  return { ok: true, labels }
}

/** The stored form of a board's labels (a JSON array) read back; anything unreadable is no labels. */
export function storedThreadTypes (stored: string | null | undefined): string[] {
  if (stored === null || stored === undefined || stored === '') return []
  try {
    const value: unknown = JSON.parse(stored)
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : []
  } catch {
    return []
  }
}

/**
 * Moves `id` one place up or down among its siblings (given in display order) and returns the new
 * display_order of every sibling whose value changes: siblings are renumbered 10, 20, 30 … so equal
 * orders (the default 0) still move one step. Null when the node is already first/last or absent.
 */
export function reorderSiblings (siblingIds: readonly number[], id: number, direction: 'up' | 'down', current: ReadonlyMap<number, number>): Map<number, number> | null {
  const index = siblingIds.indexOf(id)
  if (index < 0) return null
  const target = direction === 'up' ? index - 1 : index + 1
  if (target < 0 || target >= siblingIds.length) return null
  const order = [...siblingIds]
  const other = order[target]
  if (other === undefined) return null
  order[target] = id
  order[index] = other
  const changes = new Map<number, number>()
  order.forEach((siblingId, i) => {
    const value = (i + 1) * 10
    if (current.get(siblingId) !== value) changes.set(siblingId, value)
  })
  return changes
}

/** How a structure change reaches the audit log: the admin feature passes one that adds who and when. */
export interface StructureChange { action: string, targetId: number, before: unknown, after: unknown }
export type RecordStructureChange = (trx: Knex.Transaction, change: StructureChange) => Promise<void>

/** What an admin structure action answers: done, or the Chinese messages of what refused it (nothing changed). */
export type StructureResult = { ok: true, id: number, affected?: number } | { ok: false, errors: NodeErrors, message: string }

export function refused (errors: NodeErrors): StructureResult {
  return { ok: false, errors, message: Object.values(errors).join('；') }
}

/** Rows as an indented list in tree order (display order among siblings), each with its depth; rows on a cycle last. */
export function flattenTree<R extends { id: number, parent_id: number | null, display_order: number }> (rows: readonly R[]): Array<R & { depth: number }> {
  const tree = buildTree(rows, (row) => ({ id: row.id, parentId: row.parent_id, row, children: [] as Array<{ id: number, parentId: number | null, row: R, children: never[] }> }))
  const out: Array<R & { depth: number }> = []
  tree.walk((node, depth) => { out.push({ ...node.row, depth }) })
  // Rows on a parent cycle (a hand edit of the database) are reached from no root: listed last, at the
  // top level, so an admin can see them and move them out.
  const shown = new Set(out.map((r) => r.id))
  for (const row of rows) if (!shown.has(row.id)) out.push({ ...row, depth: 0 })
  return out
}
