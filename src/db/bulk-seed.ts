import bcrypt from 'bcrypt'
import type { Knex } from 'knex'
import { storedRenderColumns } from '../lib/markdown'
import { usernameSkeleton } from '../lib/username-skeleton'

/**
 * `npm run cli -- seed:bulk`: synthetic data for benchmarks and scale tests. Batched multi-row
 * inserts inside transactions (one transaction per 10 batches), so a million rows take a minute,
 * not an hour. Feature tables (comments, threads, posts, bans) are filled by the generators the
 * caller passes (scripts/cli.ts lists each feature's), run in order after members and articles.
 */

export interface BulkCounts {
  members: number
  articles: number
  comments: number
  threads: number
  posts: number
  bans: number
}

export const BULK_PASSWORD = 'bench-password'
export const BATCH_ROWS = 500

export interface BulkContext {
  knex: Knex
  counts: BulkCounts
  now: number
  /** ids of the bulk members, in order */
  memberIds: number[]
  articleIds: number[]
  progress: (label: string, done: number, total: number) => void
}

export type BulkGenerator = (ctx: BulkContext) => Promise<void>

/** The phrases bulk bodies are made of (the bench's search queries are cut from them too). */
export const PHRASES = ['海风吹过老街的骑楼', '街坊在榕树下喝早茶', '渡轮准时靠岸', '社区图书馆新增了童书', '夜市的牛肉丸香气四溢',
  '志愿者清理了海滩', '公交线路调整方便了居民', '学校举办了科技节', '老字号糕点店重新开张', '晨练的人们沿着堤岸慢跑']

// Bulk bodies repeat (a few phrases combined), so each distinct one is rendered once: stored like any
// body (src/lib/markdown.ts), pages read the render instead of rendering a million rows on first view.
const renderMemo = new Map<string, ReturnType<typeof storedRenderColumns>>()
function bulkRenderColumns (body: string): ReturnType<typeof storedRenderColumns> {
  let columns = renderMemo.get(body)
  if (columns === undefined) {
    if (renderMemo.size > 10_000) renderMemo.clear()
    columns = storedRenderColumns(body)
    renderMemo.set(body, columns)
  }
  return columns
}

/** `body` and its stored render columns, for a bulk row. */
export function withRender (body: string): { body: string } & ReturnType<typeof storedRenderColumns> {
  return { body, ...bulkRenderColumns(body) }
}

export function sentence (n: number): string {
  return `${PHRASES[n % PHRASES.length] ?? ''}，${PHRASES[(n * 7 + 3) % PHRASES.length] ?? ''}。`
}

export async function insertInBatches (knex: Knex, table: string, total: number, makeRow: (i: number) => Record<string, unknown>,
  onProgress: (done: number) => void): Promise<number[]> {
  const ids: number[] = []
  const isMysql = knex.client.config.client === 'mysql2'
  let i = 0
  while (i < total) {
    await knex.transaction(async (trx) => {
      for (let b = 0; b < 10 && i < total; b++) {
        const rows: Array<Record<string, unknown>> = []
        for (let r = 0; r < BATCH_ROWS && i < total; r++, i++) rows.push(makeRow(i))
        // MySQL returns the first id of a multi-row insert, SQLite the last; ids are consecutive in both.
        const [first] = await trx(table).insert(rows)
        const start = isMysql ? Number(first) : Number(first) - rows.length + 1
        for (let k = 0; k < rows.length; k++) ids.push(start + k)
      }
    })
    onProgress(i)
  }
  return ids
}

export async function seedBulk (knex: Knex, counts: BulkCounts, generators: readonly BulkGenerator[], progress: BulkContext['progress']): Promise<void> {
  const now = Math.floor(Date.now() / 1000)
  const hash = await bcrypt.hash(BULK_PASSWORD, 4)
  const start = await knex('users').max<{ m: number | null }>({ m: 'id' }).first()
  const offset = Number(start?.m ?? 0)
  const memberIds = await insertInBatches(knex, 'users', counts.members, (i) => ({
    username: `bench${offset + i}`,
    username_key: `bench${offset + i}`,
    username_skeleton: usernameSkeleton(`bench${offset + i}`),
    email: `bench${offset + i}@bench.invalid`,
    email_key: `bench${offset + i}@bench.invalid`,
    password_hash: hash,
    role: 'member',
    created_at: now - 90 * 86400
  }), (d) => { progress('members', d, counts.members) })

  let categoryIds = (await knex('categories').select('id').orderBy('id')).map((r: { id: number }) => r.id)
  if (categoryIds.length === 0) {
    const [parent] = await knex('categories').insert({ name: '综合', display_order: 1 })
    for (let c = 0; c < 4; c++) await knex('categories').insert({ name: `分类${c + 1}`, parent_id: Number(parent), display_order: c + 2 })
    categoryIds = (await knex('categories').select('id').orderBy('id')).map((r: { id: number }) => r.id)
  }
  const authorIds = memberIds.length > 0 ? memberIds : (await knex('users').select('id').limit(10)).map((r: { id: number }) => r.id)
  if (authorIds.length === 0 && counts.articles > 0) throw new Error('seed:bulk needs members to write articles: pass --members N')
  const articleIds = await insertInBatches(knex, 'articles', counts.articles, (i) => {
    const at = now - Math.floor((i * 86400 * 365) / Math.max(1, counts.articles))
    return {
      category_id: categoryIds[i % categoryIds.length],
      author_id: authorIds[i % authorIds.length],
      title: `批量文章 ${i + 1}：${PHRASES[i % PHRASES.length] ?? ''}`,
      summary: sentence(i),
      source_name: '本站',
      source_url: '',
      ...withRender(Array.from({ length: 6 }, (_, p) => sentence(i + p)).join('\n\n')),
      status: 'published',
      allow_comments: true,
      published_at: at,
      updated_at: at,
      views: (i * 7919) % 5000
    }
  }, (d) => { progress('articles', d, counts.articles) })

  const ctx: BulkContext = { knex, counts, now, memberIds, articleIds, progress }
  for (const generate of generators) await generate(ctx)
}
