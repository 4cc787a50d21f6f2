import { validateHeaderName, validateHeaderValue } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from '../lib/http-errors'
import { fieldOf, validationMessage } from '../lib/validation-message'
import { isDatabaseUnavailable } from '../db/knex'

/**
 * One error handler for the whole app: 4xx show their (Chinese) message, 5xx a generic page with
 * the request id (the stack goes to the log only). JSON clients get JSON. If even the error template
 * fails, an escaped plain-HTML page is sent.
 */

/** A fetch() from our script (or a tool) asking for JSON rather than a page. */
export function wantsJson (request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

function escapeHtml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const TITLES: Record<number, string> = {
  400: '请求有误',
  401: '请先登录',
  403: '没有权限',
  404: '页面不存在',
  409: '操作冲突',
  413: '内容过长',
  414: '网址过长',
  429: '操作太频繁',
  500: '系统错误',
  503: '服务暂时不可用'
}

/** Seconds a client is asked to wait when the database is unavailable (a restart or failover takes about that). */
export const DATABASE_RETRY_AFTER_SECONDS = 30
export const DATABASE_UNAVAILABLE_MESSAGE = '数据库暂时无法连接，请稍后再试'

/**
 * Drops what an error page must not carry over from the failed answer: a redirect's Location, and any
 * header Node would refuse to write (the error may be that very refusal, ERR_INVALID_CHAR from
 * writeHead; sending the page with it again would fail again and fall through to Fastify's JSON).
 */
function dropUnsendableHeaders (reply: FastifyReply): void {
  reply.removeHeader('location')
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    try {
      validateHeaderName(name)
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [String(value)]) validateHeaderValue(name, v)
    } catch {
      reply.removeHeader(name)
    }
  }
}

export async function sendErrorPage (request: FastifyRequest, reply: FastifyReply, status: number, message: string, details: Record<string, string> = {}): Promise<FastifyReply> {
  dropUnsendableHeaders(reply)
  reply.code(status)
  if (wantsJson(request)) {
    return reply.type('application/json; charset=utf-8').send({ error: message, statusCode: status, ...details, requestId: status >= 500 ? request.id : undefined })
  }
  try {
    return await reply.render('errors/error.njk', { status, title: TITLES[status] ?? '出错了', message, details, requestId: request.id })
  } catch (renderErr) {
    request.log.error({ err: renderErr }, 'error page failed to render')
    return reply.type('text/html; charset=utf-8').send(
      `<!doctype html><meta charset="utf-8"><title>${status}</title><p>${escapeHtml(message)}</p><p>请求编号：${escapeHtml(request.id)}</p>`)
  }
}

/**
 * The last resort when the error handler itself failed: the plain page written on the raw response
 * (hijacked, so Fastify's own default handler with its English JSON never answers), or the connection
 * closed if the headers of the failed answer already left.
 */
function sendBarePage (request: FastifyRequest, reply: FastifyReply, securityHeadersFor: (https: boolean) => Readonly<Record<string, string>>): void {
  reply.hijack()
  const res = reply.raw
  if (res.headersSent) {
    res.destroy()
    return
  }
  const json = wantsJson(request)
  const body = json
    ? JSON.stringify({ error: '抱歉，系统遇到了问题，请稍后再试', statusCode: 500, requestId: request.id })
    : `<!doctype html><meta charset="utf-8"><title>500</title><p>抱歉，系统遇到了问题，请稍后再试</p><p>请求编号：${escapeHtml(request.id)}</p>`
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  res.writeHead(500, {
    ...securityHeadersFor(request.protocol === 'https'),
    'content-type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store'
  })
  res.end(request.method === 'HEAD' ? undefined : body)
}

async function handleError (error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply, onUnexpected: (request: FastifyRequest, error: Error) => void): Promise<FastifyReply> {
  if (error instanceof HttpError) {
    return await sendErrorPage(request, reply, error.statusCode, error.message, { ...error.details })
  }
  const fe = error
  if (fe.validation !== undefined) {
    // The route's schema refused the request: say which field, in words (src/lib/validation-message.ts).
    const field = fe.validation[0] === undefined ? '' : fieldOf(fe.validation[0])
    return await sendErrorPage(request, reply, 400, validationMessage(fe.validation, fe.validationContext), field === '' ? {} : { field })
  }
  if (fe.code === 'FST_CSRF_INVALID_TOKEN' || fe.code === 'FST_CSRF_MISSING_SECRET') {
    return await sendErrorPage(request, reply, 403, '表单已过期或来源不明，请刷新页面后重试')
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500
  if (status === 429) {
    return await sendErrorPage(request, reply, 429, '您的操作太频繁，请稍后再试')
  }
  if (status >= 400 && status < 500) {
    request.log.info({ err: fe }, 'client error')
    const message = status === 404 ? '抱歉，您访问的页面不存在' : status === 413 ? '提交的内容过长' : status === 414 ? '请求的网址过长' : '请求有误'
    return await sendErrorPage(request, reply, status, message)
  }
  if (isDatabaseUnavailable(error)) {
    // Not a bug to chase: one line without the stack (an outage would otherwise log one per request).
    request.log.warn({ code: (error as { code?: unknown }).code, reason: error.message }, 'database unavailable')
    reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
    return await sendErrorPage(request, reply, 503, DATABASE_UNAVAILABLE_MESSAGE)
  }
  request.log.error({ err: error }, 'unexpected error')
  onUnexpected(request, error)
  return await sendErrorPage(request, reply, 500, '抱歉，系统遇到了问题，请稍后再试')
}

/**
 * For Fastify's `frameworkErrors` option (a malformed URL such as `/%E4`, an over-long route parameter):
 * Fastify answers these before routing, with its own English JSON unless this is set.
 */
export function frameworkErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode === 414 ? 414 : 400
  // Answered before routing, so the security-headers hook did not run.
  reply.headers(request.server.securityHeadersFor(request.protocol === 'https'))
  sendErrorPage(request, reply, status, status === 414 ? '请求的网址过长' : '请求有误').catch((err: unknown) => {
    request.log.error({ err }, 'framework error page failed')
    sendBarePage(request, reply, () => ({}))
  })
}

/** What the client-error answer says, by the HTTP parser's code (Node's names for them). */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', '请求的网址或请求头过长'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', '请求超时，请重试']
}

/**
 * For Fastify's `clientErrorHandler` option: a request Node's HTTP parser refuses (a URL or headers past
 * 16 KB, a malformed request line) never reaches Fastify, whose default answer is English JSON. The
 * fuzz suite (test/security/fuzz.test.ts) found it with long query strings. A short Chinese page, the
 * same security headers, and the connection closed (the parser cannot go on reading it).
 */
export function clientErrorHandler (headers: () => Readonly<Record<string, string>>): (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const [status, reason, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad Request', '请求有误']
    const body = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>${message}</title><p>${message}</p></html>`
    const extra = Object.entries(headers()).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`)
    }
    socket.destroy(error)
  }
}

export default fp(async (app) => {
  const securityHeadersFor = app.securityHeadersFor
  // The dashboard's last errors (src/plugins/error-ring.ts): what the 500 page's request id refers to.
  const onUnexpected = (request: FastifyRequest, error: Error): void => {
    app.errorRing.record({ at: app.clock.nowMs(), requestId: request.id, method: request.method, url: request.url, message: String(error.message) })
  }
  app.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    try {
      return await handleError(error, request, reply, onUnexpected)
    } catch (handlerErr) {
      // Whatever failed here (a getter on a strange error, the reply refusing a header), the visitor
      // still gets our page: Fastify's fallback would answer with its default JSON body.
      request.log.error({ err: handlerErr, cause: error }, 'error handler failed')
      sendBarePage(request, reply, securityHeadersFor)
      return reply
    }
  })

  app.setNotFoundHandler(async (request, reply) => {
    return await sendErrorPage(request, reply, 404, '抱歉，您访问的页面不存在')
  })
}, { name: 'errors', dependencies: ['view', 'security-headers', 'error-ring', 'clock'] })
