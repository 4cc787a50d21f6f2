import type { Knex } from 'knex'

let counter = 0

export async function createBoard (db: Knex, fields: { name?: string, parentId?: number | null, isGroup?: boolean, guestVisible?: boolean, description?: string } = {}): Promise<number> {
  counter++
  const [id] = await db('boards').insert({
    name: fields.name ?? `版块${counter}`,
    parent_id: fields.parentId ?? null,
    is_group: fields.isGroup ?? false,
    description: fields.description ?? '',
    display_order: counter,
    guest_visible: fields.guestVisible ?? true
  })
  return Number(id)
}

/** A group with one board in it: the usual shape of a test forum. */
export async function createGroupWithBoard (db: Knex, fields: { boardName?: string, guestVisible?: boolean } = {}): Promise<{ groupId: number, boardId: number }> {
  const groupId = await createBoard(db, { isGroup: true, name: `分区${counter + 1}` })
  const boardId = await createBoard(db, { parentId: groupId, name: fields.boardName, guestVisible: fields.guestVisible })
  return { groupId, boardId }
}
