import type { Knex } from 'knex'

/**
 * Correctness checks run after each app run of the benchmark: counters must equal their rows.
 * Each returns null when consistent, or a short description of the drift. Features add theirs.
 */
export interface BenchCheck { name: string, run: (db: Knex) => Promise<string | null> }

export const CHECKS: BenchCheck[] = [
  {
    name: 'articles.comment_count equals visible comments',
    async run (db) {
      const drift = await db('articles as a')
        .leftJoin(db('comments').where('status', 'visible').groupBy('article_id').select('article_id', db.raw('count(*) as n')).as('c'), 'c.article_id', 'a.id')
        .whereRaw('a.comment_count <> coalesce(c.n, 0)')
        .count<{ n: number | string }>({ n: '*' }).first()
      const n = Number(drift?.n ?? 0)
      return n === 0 ? null : `${n} articles drift`
    }
  }
]
