import type { Knex } from 'knex'
import type { AuthUser } from '../../lib/permissions'
import type { ForumContext } from './context'
import type { ThreadRow } from './repository'
import { pageOfFloor } from './rules'

/**
 * 提醒 of a floor that became visible (posted visible, or approved from review): its quoted author,
 * the thread's author (for a reply) and its @mentions, each told once, inside the caller's transaction.
 */
export async function noticeOfVisiblePost (
  ctx: ForumContext,
  trx: Knex.Transaction,
  post: { id: number, position: number, body: string, author: Pick<AuthUser, 'id' | 'username'> },
  thread: Pick<ThreadRow, 'id' | 'title' | 'author_id'>,
  now: number
): Promise<void> {
  const quoted = await ctx.notices.quotedMember(trx, post.body)
  const recipients: Array<{ to: number | null, kind: 'post_quote' | 'thread_reply' }> = [{ to: quoted, kind: 'post_quote' }]
  if (post.position > 1) recipients.push({ to: thread.author_id, kind: 'thread_reply' })
  await ctx.notices.contribution(trx, {
    actor: { id: post.author.id, name: post.author.username },
    text: post.body,
    target: { type: 'thread', id: thread.id },
    title: thread.title,
    url: postUrl(thread.id, post.id, post.position),
    recipients
  }, now)
}

export const postUrl = (threadId: number, postId: number, position: number): string => `/thread/${threadId}?page=${pageOfFloor(position)}#post-${postId}`
