import type { Knex } from 'knex'
import { plainText } from '../../lib/search-text'
import type { SearchDocument, SearchIndex, SearchSource } from '../search'
import type { PublishingRepository } from './publishing-repository'

/**
 * What the portal hands the search index (issue 23): a published article (title, then summary and body);
 * any other status takes it out. A scheduled article is indexed with its future time and left out of
 * results until then (the search filters on created_at ≤ now, as the portal's reads do on published_at).
 * Written through the publishing repository's three writes (`withSearchIndex`), so saving, publishing,
 * hiding, restoring a revision and the bulk actions all change the index in their own transaction.
 */

interface ArticleState { id: number, category_id: number, author_id: number, title: string, summary: string, body: string, status: string, published_at: number }
const ARTICLE_STATE = ['id', 'category_id', 'author_id', 'title', 'summary', 'body', 'status', 'published_at']

function articleDocument (a: ArticleState): SearchDocument | null {
  if (a.status !== 'published') return null
  return {
    kind: 'article', refId: a.id, parentId: null, scopeId: a.category_id, audience: 'all', listed: true,
    authorId: a.author_id, createdAt: Number(a.published_at), title: a.title, body: plainText(`${a.summary}\n\n${a.body}`)
  }
}

export async function syncArticle (index: SearchIndex, trx: Knex.Transaction, id: number): Promise<void> {
  const row = await trx('articles').where({ id }).first<ArticleState | undefined>(...ARTICLE_STATE)
  const doc = row === undefined ? null : articleDocument(row)
  if (doc === null) await index.remove(trx, 'article', id)
  else await index.put(trx, doc)
}

/** The repository with its article writes followed by the index's change, in the same transaction. */
export function withSearchIndex (repo: PublishingRepository, index: SearchIndex | undefined): PublishingRepository {
  if (index === undefined) return repo
  return {
    ...repo,
    async insertArticle (trx, row) {
      const id = await repo.insertArticle(trx, row)
      await syncArticle(index, trx, id)
      return id
    },
    async updateIfVersion (trx, id, version, fields) {
      const changed = await repo.updateIfVersion(trx, id, version, fields)
      if (changed) await syncArticle(index, trx, id)
      return changed
    },
    async setFields (trx, id, fields) {
      await repo.setFields(trx, id, fields)
      await syncArticle(index, trx, id)
    }
  }
}

/** search:reindex's source: articles by id, through the same document as the live index. */
export function articleSearchSource (): SearchSource {
  return {
    kind: 'article',
    count: async (knex) => Number((await knex('articles').count<{ n: number | string }>({ n: '*' }).first())?.n ?? 0),
    batch: async (knex, afterId, limit) => {
      const rows = await knex('articles').where('id', '>', afterId).orderBy('id').limit(limit).select<ArticleState[]>(...ARTICLE_STATE)
      return rows.map((a) => ({ id: a.id, doc: articleDocument(a) }))
    }
  }
}
