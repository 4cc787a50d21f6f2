import type { CategoriesAdmin, CategoryInput } from '../portal'
import type { BoardInput, BoardKind, BoardsAdmin } from '../forum'
import type { AdminAudit } from '../site-admin'
import type { RecordStructureChange, StructureResult } from '../../lib/structure-form'

/** Who is acting, for the audit row. */
export interface StructureActor { id: number, now: number, requestId: string }

export interface StructureDeps {
  categories: CategoriesAdmin
  boards: BoardsAdmin
  audit: AdminAudit
}

/**
 * 门户频道 and 论坛版块 for admins: each call is one transaction of the portal's or forum's own
 * (categories-admin.ts, boards-admin.ts) with one audit row recorded in it. No Fastify types.
 */
export function structureService (deps: StructureDeps) {
  const recorder = (actor: StructureActor, targetType: 'category' | 'board'): RecordStructureChange => async (trx, change) => {
    await deps.audit({ actorId: actor.id, action: change.action, targetType, targetId: change.targetId, before: change.before ?? undefined, after: change.after ?? undefined, requestId: actor.requestId, at: actor.now }, trx)
  }
  const c = deps.categories
  const b = deps.boards
  return {
    categories: {
      list: async () => await c.list(),
      get: async (id: number) => await c.get(id),
      create: async (input: CategoryInput, actor: StructureActor): Promise<StructureResult> => await c.create(input, recorder(actor, 'category')),
      update: async (id: number, input: CategoryInput, actor: StructureActor): Promise<StructureResult> => await c.update(id, input, recorder(actor, 'category')),
      reorder: async (id: number, direction: 'up' | 'down', actor: StructureActor): Promise<StructureResult> => await c.reorder(id, direction, recorder(actor, 'category')),
      moveArticles: async (id: number, targetId: number | null, actor: StructureActor): Promise<StructureResult> => await c.moveArticles(id, targetId, recorder(actor, 'category')),
      remove: async (id: number, actor: StructureActor): Promise<StructureResult> => await c.remove(id, recorder(actor, 'category'))
    },
    boards: {
      list: async () => await b.list(),
      get: async (id: number) => await b.get(id),
      create: async (kind: BoardKind, input: BoardInput, actor: StructureActor): Promise<StructureResult> => await b.create(kind, input, recorder(actor, 'board')),
      update: async (id: number, input: BoardInput, actor: StructureActor): Promise<StructureResult> => await b.update(id, input, recorder(actor, 'board')),
      reorder: async (id: number, direction: 'up' | 'down', actor: StructureActor): Promise<StructureResult> => await b.reorder(id, direction, recorder(actor, 'board')),
      remove: async (id: number, actor: StructureActor): Promise<StructureResult> => await b.remove(id, recorder(actor, 'board'))
    }
  }
}

export type StructureService = ReturnType<typeof structureService>
