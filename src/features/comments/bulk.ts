import { type BulkGenerator, insertInBatches, sentence } from '../../db/bulk-seed'
import { commentsRepository } from './repository'

/**
 * seed:bulk --comments N: visible comments spread over the bulk articles and members, then the
 * articles' comment_count set from the rows in one statement (the count must equal the rows).
 */
export const generateBulkComments: BulkGenerator = async ({ knex, counts, now, memberIds, articleIds, progress }) => {
  if (counts.comments === 0) return
  if (articleIds.length === 0 || memberIds.length === 0) throw new Error('seed:bulk --comments needs --articles and --members in the same run')
  // A few articles get most comments (a hot thread of discussion), the rest a trickle.
  await insertInBatches(knex, 'comments', counts.comments, (i) => ({
    article_id: articleIds[i % 10 === 0 ? i % Math.min(50, articleIds.length) : (i * 7919) % articleIds.length],
    author_id: memberIds[(i * 31) % memberIds.length],
    status: 'visible',
    body: sentence(i),
    created_at: now - (counts.comments - i)
  }), (d) => { progress('comments', d, counts.comments) })
  // Positions for the list's pages, numbered in one statement as the migration that added them did.
  await commentsRepository(knex).renumberAll()
  await knex('articles').whereIn('id', knex('comments').distinct('article_id'))
    .update({ comment_count: knex('comments').count('*').where('comments.article_id', knex.ref('articles.id')).andWhere('comments.status', 'visible') })
}
