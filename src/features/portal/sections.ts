import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { ArticleRow } from './repository'

/**
 * The article page is assembled from sections other features contribute (reactions, comments):
 * each registers a loader whose result is merged into the template data under its name, and the
 * article template includes that feature's partial when the data is there. The portal does not
 * know the reactions or comments tables; they do not know the portal's routes.
 */

export interface ArticleSectionContext {
  article: ArticleRow
  /** Comments allowed by the article and every category above it. */
  commentsAllowed: boolean
  request: FastifyRequest
}

export type ArticleSectionLoader = (ctx: ArticleSectionContext) => Promise<unknown>

export interface ArticleSections {
  add: (name: string, loader: ArticleSectionLoader) => void
  load: (ctx: ArticleSectionContext) => Promise<Record<string, unknown>>
}

declare module 'fastify' {
  interface FastifyInstance {
    articleSections: ArticleSections
  }
}

export default fp(async (app) => {
  const loaders = new Map<string, ArticleSectionLoader>()
  app.decorate('articleSections', {
    add (name, loader) {
      if (loaders.has(name)) throw new Error(`article section ${name} registered twice`)
      loaders.set(name, loader)
    },
    async load (ctx) {
      const entries = await Promise.all([...loaders].map(async ([name, loader]) => [name, await loader(ctx)] as const))
      return Object.fromEntries(entries)
    }
  } satisfies ArticleSections)
}, { name: 'article-sections' })
