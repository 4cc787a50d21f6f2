import fp from 'fastify-plugin'
import { paginate, type Page } from '../../lib/pagination'

/**
 * Where the Archiver gets an article's visible comments. The comments feature provides the real
 * source at start (`app.archiverComments.provide(...)`); until then an article has none.
 */

export interface ArchiverComment { id: number, author_name: string | null, created_at: number, body: string }
export interface ArchiverCommentPage { rows: ArchiverComment[], page: Page, lastChangedAt: number }
/** The article's visible comment count is its `comment_count`, kept exact by the comments feature. */
export type ArchiverCommentSource = (article: { id: number, comment_count: number }, requestedPage: number, perPage: number) => Promise<ArchiverCommentPage>

export interface ArchiverComments {
  page: ArchiverCommentSource
  provide: (source: ArchiverCommentSource) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    archiverComments: ArchiverComments
  }
}

export default fp(async (app) => {
  const comments: ArchiverComments = {
    page: async (_article, _requested, perPage) => ({ rows: [], page: paginate(1, perPage, 0), lastChangedAt: 0 }),
    provide (source) { comments.page = source }
  }
  app.decorate('archiverComments', comments)
}, { name: 'archiver-comments' })
