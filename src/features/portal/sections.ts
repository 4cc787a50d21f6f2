import type { FastifyRequest } from 'fastify'
import type { QueryValues } from '../../lib/route-schemas'
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
  /** The page's query parameters (a section reads its own, e.g. the comments block's `quote`). */
  query: QueryValues
}

export type ArticleSectionLoader = (ctx: ArticleSectionContext) => Promise<unknown>

/**
 * A section's part of a plain member's article page that is theirs alone (src/plugins/member-pages.ts):
 * the values of its holes in the shared member copy, from cheap data (the member's own 表态), or null
 * when this member must get the full render (their comment waiting for review on this article).
 */
export interface ArticleHolesContext { articleId: number, request: FastifyRequest }
export type ArticleHolesLoader = (ctx: ArticleHolesContext) => Promise<Record<string, string> | null>

export interface ArticleSections {
  add: (name: string, loader: ArticleSectionLoader, holes?: ArticleHolesLoader) => void
  load: (ctx: ArticleSectionContext) => Promise<Record<string, unknown>>
  /** Every section's hole values for this member, or null when one of the sections wants the full render. */
  holes: (ctx: ArticleHolesContext) => Promise<Record<string, string> | null>
}

/**
 * The portal home is assembled the same way: other features add blocks (the forum's 最新主题 as
 * `latestThreads`), and views/portal/home.njk includes a feature's partial when its data is there.
 */
export interface HomeSectionContext { request: FastifyRequest }
export type HomeSectionLoader = (ctx: HomeSectionContext) => Promise<unknown>
export interface HomeSections {
  add: (name: string, loader: HomeSectionLoader) => void
  load: (ctx: HomeSectionContext) => Promise<Record<string, unknown>>
}

function sectionRegistry<Ctx> (kind: string): { add: (name: string, loader: (ctx: Ctx) => Promise<unknown>) => void, load: (ctx: Ctx) => Promise<Record<string, unknown>> } {
  const loaders = new Map<string, (ctx: Ctx) => Promise<unknown>>()
  return {
    add (name, loader) {
      if (loaders.has(name)) throw new Error(`${kind} section ${name} registered twice`)
      loaders.set(name, loader)
    },
    async load (ctx) {
      const entries = await Promise.all([...loaders].map(async ([name, loader]) => [name, await loader(ctx)] as const))
      return Object.fromEntries(entries)
    }
  }
}

export function articleSections (): ArticleSections {
  const registry = sectionRegistry<ArticleSectionContext>('article')
  const holeLoaders: ArticleHolesLoader[] = []
  return {
    add (name, loader, holes) {
      registry.add(name, loader)
      if (holes !== undefined) holeLoaders.push(holes)
    },
    load: registry.load,
    async holes (ctx) {
      const all = await Promise.all(holeLoaders.map(async (h) => await h(ctx)))
      if (all.some((values) => values === null)) return null
      return Object.assign({}, ...all) as Record<string, string>
    }
  }
}
export function homeSections (): HomeSections { return sectionRegistry<HomeSectionContext>('home') }
