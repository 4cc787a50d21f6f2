import type { Knex } from 'knex'
import { plainText } from '../../lib/search-text'
import type { Audience, SearchDocument, SearchIndex, SearchSource } from '../search'
import { BoardTree } from './boards'
import { forumRepository, type ForumRepository } from './repository'

/**
 * What the forum hands the search index (issue 23): a thread (its title and 楼主 post) and each reply,
 * while they are visible; a reply carries its thread's state (`listed`), board and audience. The index
 * is written through the repository's four writes (insertPost, updatePost, updateThread), wrapped by
 * `withSearchIndex`, so every use case that publishes, edits, approves, hides, deletes or moves content
 * changes the index in its own transaction, and a new use case cannot forget it.
 */

interface ThreadState { id: number, board_id: number, author_id: number, title: string, status: string, created_at: number }
interface PostState { id: number, thread_id: number, author_id: number, position: number, body: string, status: string, created_at: number }

/** Guests read a board when it and every board above it are open to them (BoardTree.visibleTo, the forum's one rule). */
async function audienceOf (trx: Knex.Transaction, repo: ForumRepository, boardId: number): Promise<Audience> {
  const tree = new BoardTree(await repo.allBoards(trx), 0)
  return tree.visibleTo(null, boardId) ? 'all' : 'members'
}

function threadDocument (t: ThreadState, body: string, audience: Audience): SearchDocument {
  return { kind: 'thread', refId: t.id, parentId: null, scopeId: t.board_id, audience, listed: true, authorId: t.author_id, createdAt: Number(t.created_at), title: t.title, body: plainText(body) }
}

function postDocument (p: PostState, t: ThreadState, audience: Audience): SearchDocument {
  return { kind: 'post', refId: p.id, parentId: t.id, scopeId: t.board_id, audience, listed: t.status === 'visible', authorId: p.author_id, createdAt: Number(p.created_at), title: t.title, body: plainText(p.body) }
}

const THREAD_STATE = ['id', 'board_id', 'author_id', 'title', 'status', 'created_at']
const POST_STATE = ['id', 'thread_id', 'author_id', 'position', 'body', 'status', 'created_at']

export function forumSearchSync (index: SearchIndex, repo: ForumRepository) {
  async function syncThread (trx: Knex.Transaction, threadId: number): Promise<void> {
    const thread = await trx('threads').where({ id: threadId }).first<ThreadState | undefined>(...THREAD_STATE)
    if (thread === undefined) {
      await index.remove(trx, 'thread', threadId)
      return
    }
    const audience = await audienceOf(trx, repo, thread.board_id)
    const first = await trx('posts').where({ thread_id: threadId, position: 1 }).first<{ body: string, status: string } | undefined>('body', 'status')
    if (thread.status === 'visible' && first !== undefined) await index.put(trx, threadDocument(thread, first.body, audience))
    else await index.remove(trx, 'thread', threadId)
    await index.updateReplies(trx, threadId, { title: thread.title, scopeId: thread.board_id, audience, listed: thread.status === 'visible' })
  }

  async function syncPost (trx: Knex.Transaction, postId: number): Promise<void> {
    const post = await trx('posts').where({ id: postId }).first<PostState | undefined>(...POST_STATE)
    if (post === undefined) {
      await index.remove(trx, 'post', postId)
      return
    }
    if (Number(post.position) === 1) {
      await syncThread(trx, post.thread_id)
      return
    }
    const thread = await trx('threads').where({ id: post.thread_id }).first<ThreadState | undefined>(...THREAD_STATE)
    if (post.status !== 'visible' || thread === undefined) {
      await index.remove(trx, 'post', postId)
      return
    }
    await index.put(trx, postDocument(post, thread, await audienceOf(trx, repo, thread.board_id)))
  }

  /** Every board's rows get the audience the board now has (a board opened to guests or closed, or moved under another group). */
  async function syncBoards (trx: Knex.Transaction): Promise<void> {
    const rows = await repo.allBoards(trx)
    const tree = new BoardTree(rows, 0)
    for (const board of rows) {
      if (Boolean(board.is_group)) continue
      await index.updateScope(trx, ['thread', 'post'], board.id, { audience: tree.visibleTo(null, board.id) ? 'all' : 'members' })
    }
  }

  return { syncThread, syncPost, syncBoards }
}

/** The repository with its content writes followed by the index's change, in the same transaction. */
export function withSearchIndex (repo: ForumRepository, index: SearchIndex | undefined): ForumRepository {
  if (index === undefined) return repo
  const sync = forumSearchSync(index, repo)
  return {
    ...repo,
    async insertPost (trx, fields) {
      const id = await repo.insertPost(trx, fields)
      await sync.syncPost(trx, id)
      return id
    },
    async updatePost (trx, id, fields) {
      await repo.updatePost(trx, id, fields)
      await sync.syncPost(trx, id)
    },
    async updateThread (trx, id, fields) {
      await repo.updateThread(trx, id, fields)
      // Pinning and closing change nothing the index holds.
      if (fields.title !== undefined || fields.status !== undefined || fields.board_id !== undefined) await sync.syncThread(trx, id)
    }
  }
}

/** search:reindex's sources: threads and replies by id, through the same documents as the live index. */
export function forumSearchSources (): SearchSource[] {
  return [
    {
      kind: 'thread',
      count: async (knex) => Number((await knex('threads').count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0),
      batch: async (knex, afterId, limit) => {
        const repo = forumRepository(knex)
        const tree = new BoardTree(await repo.allBoards(), 0)
        const threads = await knex('threads').where('id', '>', afterId).orderBy('id').limit(limit).select<ThreadState[]>(...THREAD_STATE)
        const ids = threads.map((t) => t.id)
        const firsts = ids.length === 0 ? [] : await knex('posts').whereIn('thread_id', ids).andWhere('position', 1).select<Array<{ thread_id: number, body: string }>>('thread_id', 'body')
        const bodies = new Map(firsts.map((p) => [p.thread_id, p.body]))
        return threads.map((t) => {
          const body = bodies.get(t.id)
          const doc = t.status === 'visible' && body !== undefined ? threadDocument(t, body, tree.visibleTo(null, t.board_id) ? 'all' : 'members') : null
          return { id: t.id, doc }
        })
      }
    },
    {
      kind: 'post',
      count: async (knex) => Number((await knex('posts').count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0),
      batch: async (knex, afterId, limit) => {
        const repo = forumRepository(knex)
        const tree = new BoardTree(await repo.allBoards(), 0)
        const posts = await knex('posts').where('id', '>', afterId).orderBy('id').limit(limit).select<PostState[]>(...POST_STATE)
        const threadIds = [...new Set(posts.map((p) => p.thread_id))]
        const threads = threadIds.length === 0 ? [] : await knex('threads').whereIn('id', threadIds).select<ThreadState[]>(...THREAD_STATE)
        const byId = new Map(threads.map((t) => [t.id, t]))
        return posts.map((p) => {
          const t = byId.get(p.thread_id)
          const doc = Number(p.position) > 1 && p.status === 'visible' && t !== undefined ? postDocument(p, t, tree.visibleTo(null, t.board_id) ? 'all' : 'members') : null
          return { id: p.id, doc }
        })
      }
    }
  ]
}
