import type { Knex } from 'knex'
import { wouldCreateCycle, inDisplayOrder } from '../../lib/tree'
import {
  checkNodeFields, refused, reorderSiblings,
  type NodeErrors, type RecordStructureChange, type StructureResult
} from '../../lib/structure-form'
import type { SearchIndex } from '../search'

/**
 * 门户频道 from /admin/categories: create, edit (rename, move under a parent, order, 允许评论), reorder,
 * move a category's articles, delete an empty one. Each change is one transaction holding the audit
 * row (`record`, given by the admin feature) with before/after; on any refusal nothing is written.
 * After a commit this process's category tree is dropped (`invalidate`); other processes reread theirs
 * within CATEGORY_CACHE_MS (5 s, src/features/portal/service.ts).
 *
 * Per-category editors (grants from the publishing issue) belong next to this file
 * (categories-editors.ts) and their rows must be checked by `remove` below before it deletes.
 */

export interface CategoryAdminRow {
  id: number
  parent_id: number | null
  name: string
  description: string
  display_order: number
  allow_comments: boolean
}

export interface CategoryInput {
  name: string
  description: string
  parentId: number | null
  displayOrder: number | null
  allowComments: boolean
}

export const categoryMessages = {
  notFound: '抱歉，您指定的分类不存在',
  parentMissing: '上级分类不存在',
  cycle: '不能把分类移到它自己或它的下级分类之下',
  duplicate: '同一上级下已有同名分类',
  hasChildren: '该分类下还有子分类，请先移走或删除子分类',
  hasArticles: (n: number) => `该分类及其子分类中还有 ${n} 篇文章，请先把文章移到其他分类`,
  targetMissing: '请选择要移入的目标分类',
  targetSame: '目标分类不能是该分类本身',
  nothingToMove: '该分类中没有文章',
  edge: '已经在最前（或最后），无法再移动'
} as const

const COLUMNS = ['id', 'parent_id', 'name', 'description', 'display_order', 'allow_comments'] as const

function rowOf (r: CategoryAdminRow): CategoryAdminRow {
  return { ...r, allow_comments: Boolean(r.allow_comments) }
}

export function categoriesAdmin (db: Knex, invalidate: () => void, searchIndex?: SearchIndex) {
  async function rows (trx: Knex | Knex.Transaction = db): Promise<CategoryAdminRow[]> {
    return inDisplayOrder((await trx('categories').select<CategoryAdminRow[]>(...COLUMNS)).map(rowOf))
  }

  /** Every article (any status: drafts and pending ones too) counted per category. */
  async function articleCounts (trx: Knex | Knex.Transaction = db): Promise<Map<number, number>> {
    const counted = await trx('articles').select('category_id').count<Array<{ category_id: number, n: number | string }>>({ n: '*' }).groupBy('category_id')
    return new Map(counted.map((r) => [Number(r.category_id), Number(r.n)]))
  }

  function subtree (all: readonly CategoryAdminRow[], id: number): number[] {
    const out = [id]
    for (let i = 0; i < out.length; i++) for (const r of all) if (r.parent_id === out[i] && !out.includes(r.id)) out.push(r.id)
    return out
  }

  function check (all: readonly CategoryAdminRow[], input: CategoryInput, id: number | null): NodeErrors {
    const errors = checkNodeFields(input, '分类')
    if (input.parentId !== null) {
      if (!all.some((r) => r.id === input.parentId)) errors.parentId = categoryMessages.parentMissing
      else if (id !== null && wouldCreateCycle(all, id, input.parentId)) errors.parentId = categoryMessages.cycle
    }
    const name = input.name.trim()
    if (errors.name === undefined && all.some((r) => r.id !== id && r.parent_id === input.parentId && r.name === name)) errors.name = categoryMessages.duplicate
    return errors
  }

  const stored = (input: CategoryInput): Omit<CategoryAdminRow, 'id'> => ({
    parent_id: input.parentId, name: input.name.trim(), description: input.description.trim(), display_order: input.displayOrder ?? 0, allow_comments: input.allowComments
  })

  /** Runs `change` in a transaction over freshly read (MySQL: locked) rows; invalidates the tree after a commit that changed something. */
  async function inTransaction (change: (trx: Knex.Transaction, all: CategoryAdminRow[]) => Promise<StructureResult>): Promise<StructureResult> {
    const result = await db.transaction(async (trx) => {
      // Two admins moving categories at once must not each pass the cycle check against the old tree:
      // the whole (small) table is locked for the change on MySQL; SQLite serializes writers anyway.
      if (trx.client.config.client === 'mysql2') await trx('categories').forUpdate().select('id')
      return await change(trx, await rows(trx))
    })
    if (result.ok) invalidate()
    return result
  }

  return {
    /** The categories in display order with their article counts (all statuses). */
    async list (): Promise<{ rows: CategoryAdminRow[], articles: Map<number, number> }> {
      const [all, articles] = await Promise.all([rows(), articleCounts()])
      return { rows: all, articles }
    },

    async get (id: number): Promise<CategoryAdminRow | null> {
      return (await rows()).find((r) => r.id === id) ?? null
    },

    async create (input: CategoryInput, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const errors = check(all, input, null)
        if (Object.keys(errors).length > 0) return refused(errors)
        const values = stored(input)
        const [id] = await trx('categories').insert(values)
        await record(trx, { action: 'category_create', targetId: Number(id), before: null, after: values })
        return { ok: true, id: Number(id) }
      })
    },

    /** Rename, describe, move under another parent (never into its own subtree), order, 允许评论. */
    async update (id: number, input: CategoryInput, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const before = all.find((r) => r.id === id)
        if (before === undefined) return refused({ name: categoryMessages.notFound })
        const errors = check(all, input, id)
        if (Object.keys(errors).length > 0) return refused(errors)
        const values = stored(input)
        await trx('categories').where({ id }).update(values)
        await record(trx, { action: 'category_edit', targetId: id, before, after: { id, ...values } })
        return { ok: true, id }
      })
    },

    /** One place up or down among its siblings. */
    async reorder (id: number, direction: 'up' | 'down', record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const node = all.find((r) => r.id === id)
        if (node === undefined) return refused({ name: categoryMessages.notFound })
        const siblings = all.filter((r) => r.parent_id === node.parent_id)
        const changes = reorderSiblings(siblings.map((r) => r.id), id, direction, new Map(siblings.map((r) => [r.id, r.display_order])))
        if (changes === null) return refused({ displayOrder: categoryMessages.edge })
        for (const [siblingId, order] of changes) await trx('categories').where({ id: siblingId }).update({ display_order: order })
        const before = Object.fromEntries(siblings.map((r) => [r.id, r.display_order]))
        await record(trx, { action: 'category_order', targetId: id, before, after: { ...before, ...Object.fromEntries(changes) } })
        return { ok: true, id }
      })
    },

    /** Moves every article of the category (not its subcategories') to `targetId`, in one statement. */
    async moveArticles (id: number, targetId: number | null, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        if (!all.some((r) => r.id === id)) return refused({ name: categoryMessages.notFound })
        if (targetId === null || !all.some((r) => r.id === targetId)) return refused({ parentId: categoryMessages.targetMissing })
        if (targetId === id) return refused({ parentId: categoryMessages.targetSame })
        const ids = await trx('articles').where({ category_id: id }).orderBy('id').pluck<number[]>('id')
        if (ids.length === 0) return refused({ parentId: categoryMessages.nothingToMove })
        await trx('articles').where({ category_id: id }).update({ category_id: targetId })
        await searchIndex?.updateScope(trx, ['article'], id, { scopeId: targetId })
        await record(trx, { action: 'category_move_articles', targetId: id, before: { category_id: id, articles: ids.length }, after: { category_id: targetId, articles: ids.length } })
        return { ok: true, id, affected: ids.length }
      })
    },

    /** Deletes a category with no subcategories and no articles (of any status) in it. */
    async remove (id: number, record: RecordStructureChange): Promise<StructureResult> {
      return await inTransaction(async (trx, all) => {
        const before = all.find((r) => r.id === id)
        if (before === undefined) return refused({ name: categoryMessages.notFound })
        const articles = await articleCounts(trx)
        const inTree = subtree(all, id).reduce((n, c) => n + (articles.get(c) ?? 0), 0)
        if (inTree > 0) return refused({ name: categoryMessages.hasArticles(inTree) })
        if (all.some((r) => r.parent_id === id)) return refused({ name: categoryMessages.hasChildren })
        await trx('categories').where({ id }).delete()
        await record(trx, { action: 'category_delete', targetId: id, before, after: null })
        return { ok: true, id }
      })
    }
  }
}

export type CategoriesAdmin = ReturnType<typeof categoriesAdmin>
