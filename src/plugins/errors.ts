import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from '../lib/http-errors'
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
  429: '操作太频繁',
  500: '系统错误',
  503: '服务暂时不可用'
}

/** Seconds a client is asked to wait when the database is unavailable (a restart or failover takes about that). */
export const DATABASE_RETRY_AFTER_SECONDS = 30
export const DATABASE_UNAVAILABLE_MESSAGE = '数据库暂时无法连接，请稍后再试'

export async function sendErrorPage (request: FastifyRequest, reply: FastifyReply, status: number, message: string, details: Record<string, string> = {}): Promise<FastifyReply> {
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

export default fp(async (app) => {
  app.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return await sendErrorPage(request, reply, error.statusCode, error.message, { ...error.details })
    }
    const fe = error
    if (fe.validation !== undefined) {
      return await sendErrorPage(request, reply, 400, '提交的数据格式不正确，请检查后重试')
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
      const message = status === 404 ? '抱歉，您访问的页面不存在' : status === 413 ? '提交的内容过长' : '请求有误'
      return await sendErrorPage(request, reply, status, message)
    }
    if (isDatabaseUnavailable(error)) {
      // Not a bug to chase: one line without the stack (an outage would otherwise log one per request).
      request.log.warn({ code: (error as { code?: unknown }).code, reason: error.message }, 'database unavailable')
      reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
      return await sendErrorPage(request, reply, 503, DATABASE_UNAVAILABLE_MESSAGE)
    }
    request.log.error({ err: error }, 'unexpected error')
    return await sendErrorPage(request, reply, 500, '抱歉，系统遇到了问题，请稍后再试')
  })

  app.setNotFoundHandler(async (request, reply) => {
    return await sendErrorPage(request, reply, 404, '抱歉，您访问的页面不存在')
  })
}, { name: 'errors', dependencies: ['view'] })
