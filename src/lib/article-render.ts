import { NO_IMAGE_SIZES, RENDERER_VERSION, renderBodyPages, renderStoredBodyPages, sizeImages, type ImageSizes, type RenderedBody } from './markdown'
import { uploadVariantUrl } from './upload-keys'

/**
 * How an article body is stored rendered: its pages (split at `<!-- 分页 -->` lines, Discuz's 分页)
 * joined by PAGE_SEPARATOR in `body_html` and `body_text_html`, their number in `page_count`, and the
 * first picture in `cover_url` (the list thumbnail and og:image). Pure: the portal's stored-render
 * path, the seeds and the article editor all write these columns through `articleRenderColumns`.
 */

/**
 * Between two pages in the stored HTML. sanitize-html drops every HTML comment from what it outputs,
 * so stored HTML holds this text only where we put it: a body cannot forge a page.
 */
export const PAGE_SEPARATOR = '\n<!--luntan:page-->\n'

export interface ArticleRender {
  pages: RenderedBody[]
  coverUrl: string | null
}

/** The columns a stored article render is written to. */
export interface ArticleRenderColumns {
  body_html: string
  body_text_html: string
  render_version: number
  page_count: number
  cover_url: string | null
}

// The renderer writes `<img src="…" …>` with a double-quoted, attribute-escaped src (sanitize-html keeps that form).
const FIRST_IMG = /<img\b[^>]*?\bsrc="([^"]*)"/i

function unescapeAttr (s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, '&')
}

/** The first picture of sanitized HTML (its src, a path on this site), or null. */
export function firstImageUrl (html: string): string | null {
  const m = FIRST_IMG.exec(html)
  const src = m?.[1]
  if (src === undefined || src === '') return null
  const url = unescapeAttr(src)
  // Sanitized output only keeps pictures on this site (isSiteImageUrl); a cover is a path, never a URL.
  return /^\/(?![/\\])/.test(url) && url.length <= 500 ? url : null
}

function fromPages (pages: RenderedBody[]): ArticleRender {
  const cover = pages.map((p) => firstImageUrl(p.html)).find((u) => u !== null) ?? null
  return { pages, coverUrl: cover }
}

/** An article body as it is written (an editor's form): its pages and cover, or why it is refused. */
export function renderArticle (source: string, sizes: ImageSizes = NO_IMAGE_SIZES): ArticleRender | { refusal: string } {
  const pages = renderBodyPages(source)
  return 'refusal' in pages ? pages : withImageSizes(fromPages(pages), sizes)
}

/** A stored body rendered again (never refuses: a refused body shows as one page of plain text). */
export function renderStoredArticle (source: string, sizes: ImageSizes = NO_IMAGE_SIZES): ArticleRender {
  return withImageSizes(fromPages(renderStoredBodyPages(source)), sizes)
}

/** A render whose pictures carry their stored width/height (the sizes the uploads feature gave for its body). */
export function withImageSizes (render: ArticleRender, sizes: ImageSizes): ArticleRender {
  if (sizes.size === 0) return render
  return { ...render, pages: render.pages.map((p) => ({ ...p, html: sizeImages(p.html, sizes) })) }
}

export function articleColumns (render: ArticleRender, version = RENDERER_VERSION): ArticleRenderColumns {
  return {
    body_html: render.pages.map((p) => p.html).join(PAGE_SEPARATOR),
    body_text_html: render.pages.map((p) => p.textHtml).join(PAGE_SEPARATOR),
    render_version: version,
    page_count: render.pages.length,
    cover_url: render.coverUrl
  }
}

/** The stored-render columns of an article written outside an editor's form (seeds, imports, tests). */
export function articleRenderColumns (source: string, sizes: ImageSizes = NO_IMAGE_SIZES): ArticleRenderColumns {
  return articleColumns(renderStoredArticle(source, sizes))
}

/** The pages of stored HTML (body_html or body_text_html); always at least one. */
export function storedPages (html: string): string[] {
  return html.split(PAGE_SEPARATOR)
}

/**
 * The picture a list shows beside a title: an upload's thumbnail variant (`<hash>-t.<ext>`, 240 × 160,
 * cropped by the uploads feature) when the cover is an upload, else the cover itself (sized by CSS).
 */
export function coverThumbnailUrl (coverUrl: string | null | undefined): string | null {
  if (coverUrl === null || coverUrl === undefined || coverUrl === '') return null
  return uploadVariantUrl(coverUrl, 'thumb') ?? coverUrl
}
