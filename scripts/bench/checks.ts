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
  },
  {
    name: 'articles.react_* equal reaction rows',
    async run (db) {
      let drifted = 0
      for (const key of ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan']) {
        const row = await db('articles as a')
          .leftJoin(db('reactions').where('kind', key).groupBy('article_id').select('article_id', db.raw('count(*) as n')).as('r'), 'r.article_id', 'a.id')
          .whereRaw('?? <> coalesce(r.n, 0)', [`a.react_${key}`])
          .count<{ n: number | string }>({ n: '*' }).first()
        drifted += Number(row?.n ?? 0)
      }
      return drifted === 0 ? null : `${drifted} counters drift`
    }
  }
]
