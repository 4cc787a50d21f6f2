import type { Knex } from 'knex'

/**
 * Many rows' columns in one UPDATE (`SET col = CASE id WHEN … THEN … ELSE col END … WHERE id IN (…)`) on
 * both dialects: a batch is one statement, not one per row. Chunked under the placeholder limits.
 */
export async function updateByIds (trx: Knex | Knex.Transaction, table: string, rows: ReadonlyArray<{ id: number, values: Record<string, Knex.Value> }>): Promise<void> {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.values)))]
  if (columns.length === 0) return
  const perRow = 2 * columns.length + 1
  const chunk = Math.max(1, Math.floor(30000 / perRow))
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk)
    const sets: string[] = []
    const bindings: Knex.Value[] = []
    for (const column of columns) {
      const having = part.filter((r) => column in r.values)
      if (having.length === 0) continue
      sets.push(`?? = CASE ?? ${having.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ?? END`)
      bindings.push(column, 'id', ...having.flatMap((r) => [r.id, r.values[column] ?? null]), column)
    }
    if (sets.length === 0) continue
    await trx.raw(`UPDATE ?? SET ${sets.join(', ')} WHERE ?? IN (${part.map(() => '?').join(', ')})`, [table, ...bindings, 'id', ...part.map((r) => r.id)])
  }
}
