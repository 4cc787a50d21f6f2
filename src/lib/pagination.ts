/** Offset pagination for ordinary lists (deep lists use keyset pagination in their repositories). */
export interface Page {
  page: number
  perPage: number
  total: number
  pageCount: number
  offset: number
}

/** Parses `?page=N`; missing or invalid values are page 1, values past the end are clamped to the last page. */
export function parsePageParam (raw: unknown): number {
  if (typeof raw === 'string' && /^\d{1,6}$/.test(raw)) {
    const n = Number(raw)
    if (n >= 1) return n
  }
  return 1
}

export function paginate (requested: number, perPage: number, total: number): Page {
  const pageCount = Math.max(1, Math.ceil(total / perPage))
  const page = Math.min(Math.max(1, requested), pageCount)
  return { page, perPage, total, pageCount, offset: (page - 1) * perPage }
}

/** Page numbers to show in a pager: first, last, and a window around the current page; 0 marks a gap (…). */
export function pagerNumbers (page: number, pageCount: number, window = 2): number[] {
  const out: number[] = []
  for (let i = 1; i <= pageCount; i++) {
    if (i === 1 || i === pageCount || Math.abs(i - page) <= window) out.push(i)
    else if (out[out.length - 1] !== 0) out.push(0)
  }
  return out
}

/** What views/partials/_pager.njk needs to draw a pager for `page` under `baseUrl` (which may carry a query already). */
export function pagerFor (page: Page, baseUrl: string): Record<string, unknown> {
  return { page: page.page, pageCount: page.pageCount, numbers: pagerNumbers(page.page, page.pageCount), baseUrl, join: baseUrl.includes('?') ? '&' : '?' }
}
