import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'

// `.options({ rowsAsArray: true })` (src/db/knex.ts): mysql2's option, given to SQLite by the app's own
// client. The search's candidates are read this way (src/features/search/repository.ts).
describe.each(dialects)('rows as arrays on %s', (dialect) => {
  let db: TestDatabase
  beforeAll(async () => { db = await createTestDatabase(dialect) })
  afterAll(async () => { await db.destroy() })

  it('returns each row as its columns in order, and the same statement as objects again afterwards', async () => {
    await db.knex('settings').insert([{ key: 'rows_as_array_a', value: '甲' }, { key: 'rows_as_array_b', value: '乙' }])
    const query = (): ReturnType<typeof db.knex> => db.knex('settings').whereIn('key', ['rows_as_array_a', 'rows_as_array_b']).select('value', 'key').orderBy('key')
    expect(await query().options({ rowsAsArray: true })).toEqual([['甲', 'rows_as_array_a'], ['乙', 'rows_as_array_b']])
    // The same SQL without the option: SQLite's prepared statement is shared, and must be back to objects.
    expect(await query()).toEqual([{ value: '甲', key: 'rows_as_array_a' }, { value: '乙', key: 'rows_as_array_b' }])
    expect(await query().options({ rowsAsArray: true }).first()).toEqual(['甲', 'rows_as_array_a'])
  })
})
