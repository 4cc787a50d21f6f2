/**
 * Errors that carry a status and a message fit to show the user (in Chinese).
 * Services throw them; the one error handler renders them as a page or JSON.
 */
export class HttpError extends Error {
  readonly statusCode: number
  /** Extra context for the error page, e.g. a login link back to the page. */
  readonly details: Readonly<Record<string, string>>
  constructor (statusCode: number, message: string, details: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
    this.statusCode = statusCode
    this.details = details
  }
}

export const notFound = (message = '抱歉，您访问的页面不存在'): HttpError => new HttpError(404, message)
/** An old Discuz link with no page here: the page says so and offers the site search. */
export const legacyNotFound = (): HttpError => new HttpError(404, '抱歉，这个旧论坛链接在本站没有对应的页面，可能已被删除或从未导入', { searchUrl: '/search' })
export const forbidden = (message = '抱歉，您没有权限进行此操作'): HttpError => new HttpError(403, message)
export const badRequest = (message = '请求参数有误'): HttpError => new HttpError(400, message)
export const conflict = (message: string): HttpError => new HttpError(409, message)
export const tooManyRequests = (message = '操作太频繁，请稍后再试'): HttpError => new HttpError(429, message)

/** Parses a positive integer id from a route parameter; anything else is a 404 (Discuz answers non-numeric ids the same way). */
export function parseId (raw: unknown, message?: string): number {
  if (typeof raw === 'string' && /^[1-9]\d{0,9}$/.test(raw)) {
    const n = Number(raw)
    if (n <= 4294967295) return n
  }
  throw notFound(message)
}
