import { badRequest } from '../../lib/http-errors'
import { NO_IMAGE_SIZES, RENDERER_VERSION, renderBody, renderStoredBody, sizeImages, type ImageSizes } from '../../lib/markdown'
import type { ForumRepository, PostRow, StoredRender } from './repository'

/** Post bodies as stored: rendered when written, rendered again only when the renderer changed. */

/**
 * A body as it is stored: rendered once here, when it is written (post, reply, edit), so reading a
 * thread never parses Markdown. A body the renderer refuses (too deep, too much markup: see
 * MARKDOWN_LIMITS) is a 400 with the reason, and nothing is stored. Writers call it inside their
 * transaction after the anti-abuse check: a post refused for flooding costs no render, and the
 * render (bounded, ~1 ms for a real post) is of the text stored, replace-words applied.
 */
export function renderForStorage (body: string, sizes: ImageSizes = NO_IMAGE_SIZES): StoredRender {
  const rendered = renderBody(body)
  if ('refusal' in rendered) throw badRequest(rendered.refusal)
  // Stored pictures carry their width and height, so the floors below them do not jump as they load.
  return { ...rendered, html: sizeImages(rendered.html, sizes), version: RENDERER_VERSION }
}

/** The stored render of a row when it is current; null when it must be rendered again (older renderer, or written before it was stored). */
function currentRender (post: Pick<PostRow, 'body_html' | 'body_text_html' | 'render_version'>): { html: string, textHtml: string } | null {
  return post.render_version === RENDERER_VERSION && post.body_html !== null && post.body_text_html !== null
    ? { html: post.body_html, textHtml: post.body_text_html }
    : null
}

/**
 * The rendered bodies of a page's posts, from their rows. A row without a current render (written
 * before renders were stored, or by an older RENDERER_VERSION) is rendered here once, bounded like
 * any body (one the renderer refuses shows as plain text), and written back for the next reader.
 */
export async function storedRenders (repo: ForumRepository, rows: readonly PostRow[]): Promise<Map<number, { html: string, textHtml: string }>> {
  const out = new Map<number, { html: string, textHtml: string }>()
  for (const p of rows) {
    const current = currentRender(p)
    if (current !== null) {
      out.set(p.id, current)
      continue
    }
    const fresh: StoredRender = { ...renderStoredBody(p.body), version: RENDERER_VERSION }
    await repo.storeRender(p.id, fresh)
    out.set(p.id, fresh)
  }
  return out
}

/** Renders every post whose stored render is missing or older than RENDERER_VERSION (forum:render), in batches by id. */
export async function renderStale (repo: ForumRepository, batchSize = 500): Promise<number> {
  let afterId = 0
  let rendered = 0
  for (;;) {
    const batch = await repo.staleRenders(RENDERER_VERSION, afterId, batchSize)
    if (batch.length === 0) return rendered
    for (const p of batch) {
      await repo.storeRender(p.id, { ...renderStoredBody(p.body), version: RENDERER_VERSION })
      afterId = p.id
      rendered++
    }
  }
}
