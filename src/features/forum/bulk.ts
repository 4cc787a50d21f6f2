import { type BulkGenerator, insertInBatches, sentence, withRender } from '../../db/bulk-seed'
import { forumRepository } from './repository'

/**
 * seed:bulk --threads N --posts N: one board group with four boards, the first holding most threads
 * (deep board pages), and one thread with up to 10,000 replies (deep thread pages); the rest of the
 * posts spread over all threads. Counters are then computed from the rows by forum:reconcile's query.
 */
export const MEGA_THREAD_REPLIES = 10_000

export const generateBulkForum: BulkGenerator = async ({ knex, counts, now, memberIds, progress }) => {
  if (counts.threads === 0) return
  if (memberIds.length === 0) throw new Error('seed:bulk --threads needs --members in the same run')
  const [groupId] = await knex('boards').insert({ name: '压测分区', is_group: true, display_order: 100 })
  const boardIds: number[] = []
  for (let b = 0; b < 4; b++) {
    const [id] = await knex('boards').insert({ name: `压测版块${b + 1}`, parent_id: Number(groupId), description: '批量数据', display_order: b })
    boardIds.push(Number(id))
  }
  const threadIds = await insertInBatches(knex, 'threads', counts.threads, (i) => ({
    board_id: boardIds[i % 5 < 3 ? 0 : (i % 3) + 1],
    author_id: memberIds[(i * 17) % memberIds.length],
    title: `批量主题 ${i + 1}：${sentence(i).slice(0, 20)}`,
    status: 'visible',
    created_at: now - (counts.threads - i) * 120,
    last_post_at: now - (counts.threads - i) * 120
  }), (d) => { progress('threads', d, counts.threads) })

  // Every thread gets its 楼主 post; thread 0 the long discussion; the rest round-robin.
  const totalPosts = Math.max(counts.posts, threadIds.length)
  const mega = Math.min(MEGA_THREAD_REPLIES, Math.floor((totalPosts - threadIds.length) / 3))
  const nextPosition = new Int32Array(threadIds.length)
  const threadOf = (i: number): number => {
    if (i < threadIds.length) return i
    if (i < threadIds.length + mega) return 0
    return (i - threadIds.length - mega) % threadIds.length
  }
  await insertInBatches(knex, 'posts', totalPosts, (i) => {
    const t = threadOf(i)
    nextPosition[t] = (nextPosition[t] ?? 0) + 1
    return {
      thread_id: threadIds[t],
      author_id: memberIds[(i * 13) % memberIds.length],
      position: nextPosition[t],
      ...withRender(`${sentence(i)}\n\n${sentence(i + 3)}`),
      status: 'visible',
      created_at: now - (totalPosts - i) * 30
    }
  }, (d) => { progress('posts', d, totalPosts) })
  await knex.transaction(async (trx) => { await forumRepository(knex).reconcile(trx, 0) })
}
