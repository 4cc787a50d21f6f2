import crypto from 'node:crypto'
import { MicroCache } from '../../lib/micro-cache'
import { rssDocument, type RssItem } from '../../lib/rss'
import type { PortalReader } from '../portal'

/**
 * RSS feeds of the portal: the newest published articles of the site or of a category with its
 * subcategories. Reads through the portal (never its tables); no Fastify types here.
 */

export const FEED_SIZE = 20
/** A built feed is reused this long: readers poll, and a burst of them costs one query. */
export const FEED_CACHE_MS = 10_000

export interface BuiltFeed {
  xml: string
  /** A digest of the document (the ETag): it changes exactly when the feed does. */
  tag: string
  /** Unix seconds of the newest item (Last-Modified, lastBuildDate); 0 for an empty feed. */
  lastModified: number
}

export interface FeedsServiceDeps {
  portal: PortalReader
  siteName: () => Promise<string>
  nowMs: () => number
  cacheMs?: number
}

export function feedsService (deps: FeedsServiceDeps) {
  const { portal, nowMs } = deps
  const built = new MicroCache<BuiltFeed>(deps.cacheMs ?? FEED_CACHE_MS, 200)

  async function build (origin: string, categoryId: number | null): Promise<BuiltFeed> {
    // Only what is published by now: a scheduled article is not in any copy built before its time.
    const now = Math.floor(nowMs() / 1000)
    const [{ category, items }, tree, siteName] = await Promise.all([
      portal.feed(categoryId, now, FEED_SIZE),
      portal.categoryTree(),
      deps.siteName()
    ])
    const lastModified = items.reduce((m, a) => Math.max(m, a.published_at), 0)
    const rssItems: RssItem[] = items.map((a) => ({
      title: a.title,
      link: `${origin}/article/${a.id}`,
      description: a.summary,
      published: a.published_at,
      category: tree.get(a.category_id)?.name,
      creator: a.author_name
    }))
    const xml = rssDocument({
      title: category === null ? siteName : `${category.name} - ${siteName}`,
      link: category === null ? `${origin}/` : `${origin}/category/${category.id}`,
      self: category === null ? `${origin}/rss.xml` : `${origin}/category/${category.id}/rss.xml`,
      description: category === null ? `${siteName} 最新文章` : (category.description !== '' ? category.description : `${siteName} ${category.name} 最新文章`),
      lastBuild: items.length === 0 ? null : lastModified,
      items: rssItems
    })
    return { xml, tag: crypto.createHash('sha1').update(xml).digest('base64url').slice(0, 22), lastModified }
  }

  return {
    /** The feed of the whole site (categoryId null) or of a category; a missing category is the portal's 404. */
    async feed (origin: string, categoryId: number | null): Promise<BuiltFeed> {
      return await built.getOrLoad(`${origin}|${categoryId ?? ''}`, nowMs(), async () => await build(origin, categoryId))
    }
  }
}

export type FeedsService = ReturnType<typeof feedsService>
