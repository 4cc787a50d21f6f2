import type { Knex } from 'knex'
import { numberCommentPositions } from '../../comments'
import { updateByIds } from '../../../db/bulk-update'
import { afterId, countOf, type Issue, type Step } from '../runner'

/**
 * Counters are recomputed from the imported rows (the formulas of comments:reconcile,
 * reactions:reconcile and forum:reconcile), batch by batch over luntan's ids, and compared with what
 * Discuz had stored: every difference is reported as drift (an `changed` issue), never silently kept.
 */

const REACTION_KEYS = ['luguo', 'leiren', 'woshou', 'xianhua', 'jidan'] as const

const idsAfter = (db: Knex, table: string, after: string, limit: number): Promise<Array<{ id: number }>> =>
  db(table).where('id', '>', afterId(after)).orderBy('id').limit(limit).select('id')

function grouped (rows: Array<{ id: number, n: number | string }>): Map<number, number> {
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]))
}

export const articleCountersStep: Step<{ id: number }> = {
  name: 'article-counters',
  batch: 1000,
  count: async ({ db }) => await countOf(db('articles')),
  read: async ({ db }, after, limit) => await idsAfter(db, 'articles', after, limit),
  keyOf: (r) => String(r.id),
  async map (ctx, rows) {
    const ids = rows.map((r) => r.id)
    const comments = grouped(await ctx.db('comments').whereIn('article_id', ids).where('status', 'visible').groupBy('article_id').select('article_id as id').count<Array<{ id: number, n: number }>>({ n: '*' }))
    const reactionRows = await ctx.db('reactions').whereIn('article_id', ids).groupBy('article_id', 'kind').select('article_id as id', 'kind').count<Array<{ id: number, kind: string, n: number | string }>>({ n: '*' })
    const reactions = new Map(reactionRows.map((r) => [`${Number(r.id)}:${r.kind}`, Number(r.n)]))
    const source = new Map((await ctx.src.db(`${ctx.src.table('portal_article_title')} as t`).leftJoin(`${ctx.src.table('portal_article_count')} as c`, 'c.aid', 't.aid')
      .whereIn('t.aid', ids).select<Array<Record<string, number | null>>>('t.aid', 'c.commentnum', ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `t.click${i}`))).map((r) => [Number(r.aid), r]))
    const issues: Issue[] = []
    const updates: Array<{ id: number, values: Record<string, number> }> = []
    for (const id of ids) {
      const values: Record<string, number> = { comment_count: comments.get(id) ?? 0 }
      for (const k of REACTION_KEYS) values[`react_${k}`] = reactions.get(`${id}:${k}`) ?? 0
      updates.push({ id, values })
      const s = source.get(id)
      if (s === undefined) continue
      if (s.commentnum !== null && Number(s.commentnum) !== values.comment_count) issues.push({ key: String(id), kind: 'changed', reason: `评论数 Discuz ${s.commentnum}，按评论行计为 ${values.comment_count}` })
      for (const [slot, key] of ctx.clickSlots?.bySlot ?? new Map<number, string>()) {
        const stored = Number(s[`click${slot}`] ?? 0)
        if (stored !== values[`react_${key}`]) issues.push({ key: String(id), kind: 'changed', reason: `表态 ${key} Discuz ${stored}，按表态行计为 ${values[`react_${key}`]}` })
      }
    }
    return {
      imported: 0,
      issues,
      write: async (trx) => {
        // One UPDATE for the batch (it was one per article: 10 000 statements at a million posts).
        await updateByIds(trx, 'articles', updates)
        // Comment lists page by position (not OFFSET): the imported comments are numbered here, by date.
        await numberCommentPositions(ctx.db, ids, trx)
      }
    }
  }
}

export const threadCountersStep: Step<{ id: number }> = {
  name: 'thread-counters',
  batch: 2000,
  count: async ({ db }) => await countOf(db('threads')),
  read: async ({ db }, after, limit) => await idsAfter(db, 'threads', after, limit),
  keyOf: (r) => String(r.id),
  async map (ctx, rows) {
    const ids = rows.map((r) => r.id)
    const first = ids[0] ?? 0
    const last = ids[ids.length - 1] ?? 0
    const replies = grouped(await ctx.db('posts').whereIn('thread_id', ids).where('status', 'visible').where('position', '>', 1).groupBy('thread_id').select('thread_id as id').count<Array<{ id: number, n: number }>>({ n: '*' }))
    const source = await ctx.src.db(ctx.src.table('forum_thread')).whereIn('tid', ids).select<Array<{ tid: number, replies: number }>>('tid', 'replies')
    const issues: Issue[] = []
    for (const s of source) {
      const actual = replies.get(Number(s.tid)) ?? 0
      if (Number(s.replies) !== actual) issues.push({ key: String(s.tid), kind: 'changed', reason: `回复数 Discuz ${s.replies}，按帖子行计为 ${actual}` })
    }
    return {
      imported: 0,
      issues,
      write: async (trx) => {
        const lastVisible = (column: string): Knex.Raw => trx.raw(
          `(SELECT ${column} FROM posts p JOIN users u ON u.id = p.author_id WHERE p.thread_id = threads.id AND p.status = 'visible' ORDER BY p.position DESC LIMIT 1)`)
        await trx('threads').whereBetween('id', [first, last]).update({
          reply_count: trx.raw("(SELECT COUNT(*) FROM posts p WHERE p.thread_id = threads.id AND p.status = 'visible' AND p.position > 1)"),
          last_position: trx.raw('(SELECT COALESCE(MAX(p.position), 0) FROM posts p WHERE p.thread_id = threads.id)'),
          last_post_at: trx.raw('COALESCE(?, created_at)', [lastVisible('p.created_at')]),
          last_poster_id: trx.raw('COALESCE(?, author_id)', [lastVisible('p.author_id')]),
          last_poster_name: trx.raw('COALESCE(?, last_poster_name)', [lastVisible('u.username')])
        })
      }
    }
  }
}

export const boardCountersStep: Step<{ id: number }> = {
  name: 'board-counters',
  batch: 100000,
  count: async ({ db }) => await countOf(db('boards')),
  read: async ({ db }, after, limit) => await idsAfter(db, 'boards', after, limit),
  keyOf: (r) => String(r.id),
  async map (ctx, rows) {
    const ids = rows.map((r) => r.id)
    const threads = grouped(await ctx.db('threads').whereIn('board_id', ids).where('status', 'visible').groupBy('board_id').select('board_id as id').count<Array<{ id: number, n: number }>>({ n: '*' }))
    const posts = grouped(await ctx.db('posts as p').join('threads as t', 't.id', 'p.thread_id').whereIn('t.board_id', ids).where('t.status', 'visible').where('p.status', 'visible')
      .groupBy('t.board_id').select('t.board_id as id').count<Array<{ id: number, n: number }>>({ n: '*' }))
    const source = await ctx.src.db(ctx.src.table('forum_forum')).whereIn('fid', ids).select<Array<{ fid: number, threads: number, posts: number }>>('fid', 'threads', 'posts')
    const issues: Issue[] = []
    for (const s of source) {
      const t = threads.get(Number(s.fid)) ?? 0
      const p = posts.get(Number(s.fid)) ?? 0
      if (Number(s.threads) !== t || Number(s.posts) !== p) issues.push({ key: String(s.fid), kind: 'changed', reason: `版块主题/帖子数 Discuz ${s.threads}/${s.posts}，按行计为 ${t}/${p}` })
    }
    return {
      imported: 0,
      issues,
      write: async (trx) => {
        // The forum's own 最后发表 rule (forum repository's refreshBoardLast: the most recently active
        // visible thread, then its last visible floor), as one UPDATE for the batch on the threads index
        // (board_id, status, last_post_at) that thread-counters has just made right. It was a query per
        // board sorting every post of the board by date: the whole posts table for a big board.
        const lastThread = (column: string): string =>
          `(SELECT t.${column} FROM threads t WHERE t.board_id = boards.id AND t.status = 'visible' ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1)`
        await trx('boards').whereBetween('id', [ids[0] ?? 0, ids[ids.length - 1] ?? 0]).update({
          last_thread_id: trx.raw(lastThread('id')),
          last_post_at: trx.raw(lastThread('last_post_at')),
          last_poster_name: trx.raw(lastThread('last_poster_name')),
          last_post_id: trx.raw(`(SELECT p.id FROM posts p WHERE p.thread_id = ${lastThread('id')} AND p.status = 'visible' ORDER BY p.position DESC LIMIT 1)`)
        })
        await updateByIds(trx, 'boards', ids.map((id) => ({ id, values: { thread_count: threads.get(id) ?? 0, post_count: posts.get(id) ?? 0 } })))
      }
    }
  }
}

/** 帖子数 on a member: visible forum posts in visible threads (forum:reconcile's formula). */
export const memberCountersStep: Step<{ id: number }> = {
  name: 'member-counters',
  batch: 5000,
  count: async ({ db }) => await countOf(db('users')),
  read: async ({ db }, after, limit) => await idsAfter(db, 'users', after, limit),
  keyOf: (r) => String(r.id),
  async map (_ctx, rows) {
    const first = rows[0]?.id ?? 0
    const last = rows[rows.length - 1]?.id ?? 0
    return {
      imported: 0,
      issues: [],
      write: async (trx) => {
        await trx('users').whereBetween('id', [first, last]).update({
          post_count: trx.raw("(SELECT COUNT(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.author_id = users.id AND p.status = 'visible' AND t.status = 'visible')")
        })
      }
    }
  }
}
