import { pagerFor, paginate } from '../../lib/pagination'
import type { ArticleView } from './service'

/**
 * What the article page shows for its pages (本文导航) and tells sharing sites (Open Graph, Twitter
 * cards). Pure: the route passes the site's origin (SITE_URL, or the request's in development).
 */

/** The 本文导航 pager of a multi-page article (page links, 上一页/下一页); null for a one-page article. */
export function articlePager (id: number, page: number, pageCount: number): Record<string, unknown> | null {
  if (pageCount <= 1) return null
  return pagerFor(paginate(page, 1, pageCount), `/article/${id}`)
}

export interface ShareMeta {
  /** The article's absolute address (its first page: what a shared link should open). */
  url: string
  /** This page's canonical path: the article for page 1, `?page=N` for the others. */
  canonical: string
  title: string
  description: string
  /** The first picture as an absolute URL, when the body has one. */
  image: string | null
  /** ISO 8601 with the offset (article:published_time). */
  publishedTime: string
  /** summary_large_image when there is a picture, else summary. */
  twitterCard: 'summary' | 'summary_large_image'
}

/** The meta of an article page; every value is text the template escapes (autoescape). */
export function shareMeta (origin: string, view: Pick<ArticleView, 'article' | 'page'>): ShareMeta {
  const { article } = view
  const path = `/article/${article.id}`
  const image = article.cover_url === null || article.cover_url === '' ? null : origin + article.cover_url
  return {
    url: origin + path,
    canonical: view.page > 1 ? `${path}?page=${view.page}` : path,
    title: article.title,
    description: article.summary,
    image,
    publishedTime: new Date(article.published_at * 1000).toISOString(),
    twitterCard: image === null ? 'summary' : 'summary_large_image'
  }
}
