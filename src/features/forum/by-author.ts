import type { ForumContext } from './context'

/** A member's own threads and replies, whatever their state: what 用户管理's member page lists. */

export interface AuthorThread { id: number, title: string, status: string, created_at: number }
export interface AuthorReply { id: number, thread_id: number, thread_title: string, status: string, created_at: number }

export function byAuthor (ctx: ForumContext) {
  return {
    /** The latest `limit` threads and replies (position > 1) written by `authorId`, newest first, by the author_id indexes. */
    async contributionsOf (authorId: number, limit: number): Promise<{ threads: AuthorThread[], replies: AuthorReply[] }> {
      const threads = await ctx.db('threads').where({ author_id: authorId }).orderBy('id', 'desc').limit(limit)
        .select<AuthorThread[]>('id', 'title', 'status', 'created_at')
      const replies = await ctx.db('posts as p').join('threads as t', 't.id', 'p.thread_id')
        .where('p.author_id', authorId).andWhere('p.position', '>', 1).orderBy('p.id', 'desc').limit(limit)
        .select<AuthorReply[]>('p.id', 'p.thread_id', 't.title as thread_title', 'p.status', 'p.created_at')
      return { threads, replies }
    }
  }
}
