import { siteMidnight, zonedParts } from './dates'
import { markdownToPlainText } from './markdown'
import { renderArticle, type ArticleRender } from './article-render'

/**
 * The article form (发布文章) as plain data: what was typed, the checks with a Chinese message per
 * field, the generated 摘要 and the publish time in the site zone. No Fastify, no database: the
 * portal's publishing service asks the database questions (may this member publish in that category?)
 * after these checks.
 */

export const ARTICLE_STATUSES = ['draft', 'pending', 'published', 'hidden'] as const
export type ArticleStatus = typeof ARTICLE_STATUSES[number]
export const ARTICLE_STATUS_NAMES: Readonly<Record<ArticleStatus, string>> = {
  draft: '草稿', pending: '待审核', published: '已发布', hidden: '已隐藏'
}
export function isArticleStatus (value: unknown): value is ArticleStatus {
  return typeof value === 'string' && (ARTICLE_STATUSES as readonly string[]).includes(value)
}

export const ARTICLE_LIMITS = Object.freeze({ title: 80, summary: 500, sourceName: 64, sourceUrl: 255, originalAuthor: 64, autoSummary: 150 })

export const articleFormMessages = {
  titleEmpty: '请填写标题',
  titleLong: `标题不能超过 ${ARTICLE_LIMITS.title} 个字符`,
  categoryMissing: '请选择分类',
  categoryDenied: '您没有在此分类发布文章的权限',
  summaryLong: `摘要不能超过 ${ARTICLE_LIMITS.summary} 个字符`,
  sourceNameLong: `来自不能超过 ${ARTICLE_LIMITS.sourceName} 个字符`,
  sourceUrlBad: '来源网址须以 http:// 或 https:// 开头',
  sourceUrlLong: `来源网址不能超过 ${ARTICLE_LIMITS.sourceUrl} 个字符`,
  originalAuthorLong: `原作者不能超过 ${ARTICLE_LIMITS.originalAuthor} 个字符`,
  bodyEmpty: '请填写正文',
  statusBad: '请选择文章状态',
  publishAtBad: '发布时间格式应为 2026-11-30T08:00'
} as const

/** The form's fields as typed (strings, as a browser posts them). */
export interface ArticleFormInput {
  title: string
  categoryId: string
  summary: string
  sourceName: string
  sourceUrl: string
  originalAuthor: string
  body: string
  allowComments: boolean
  status: string
  /** datetime-local in the site zone (`2026-11-30T08:00`); empty: now. */
  publishAt: string
}

/** The checked values, ready to store. */
export interface ArticleFormValues {
  title: string
  categoryId: number
  summary: string
  sourceName: string
  sourceUrl: string
  originalAuthor: string
  body: string
  /** The body's pages (split at `<!-- 分页 -->`) and cover picture, rendered once here. */
  rendered: ArticleRender
  allowComments: boolean
  status: ArticleStatus
  publishedAt: number
}

export type ArticleFormErrors = Partial<Record<keyof ArticleFormInput, string>>

export type ArticleFormResult = { ok: true, values: ArticleFormValues } | { ok: false, errors: ArticleFormErrors }

/** Characters as a reader counts them (an emoji is one), not UTF-16 units. */
function length (s: string): number {
  return [...s].length
}

/** The first ~150 characters of the body's text: Discuz fills an empty 摘要 the same way. */
export function summaryFromBody (body: string, max: number = ARTICLE_LIMITS.autoSummary): string {
  const text = markdownToPlainText(body).replace(/\s+/g, ' ').trim()
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max).join('') + '…'
}

/** `2026-11-30T08:00` (what `<input type="datetime-local">` posts) in the site zone, as Unix seconds; null when malformed. */
export function parseSiteDateTime (raw: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(raw.trim())
  if (m === null) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1) return null // 2月30日
  return siteMidnight(year, month, day, timeZone) + hour * 3600 + minute * 60 + second
}

/** Unix seconds as a datetime-local value in the site zone (what the form shows back). */
export function formatSiteDateTime (unixSeconds: number, timeZone: string): string {
  const p = zonedParts(unixSeconds, timeZone)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

/**
 * Checks every field and says what is wrong with each (all at once, so the form shows every message).
 * The body is rendered here, with the same bounded renderer as the public page: a body it refuses
 * gets its Chinese message on the body field.
 */
export function checkArticleForm (input: ArticleFormInput, ctx: { now: number, timeZone: string }): ArticleFormResult {
  const errors: ArticleFormErrors = {}
  const title = input.title.trim()
  if (title === '') errors.title = articleFormMessages.titleEmpty
  else if (length(title) > ARTICLE_LIMITS.title) errors.title = articleFormMessages.titleLong

  const categoryId = /^[1-9]\d{0,9}$/.test(input.categoryId) ? Number(input.categoryId) : 0
  if (categoryId === 0) errors.categoryId = articleFormMessages.categoryMissing

  const summary = input.summary.trim()
  if (length(summary) > ARTICLE_LIMITS.summary) errors.summary = articleFormMessages.summaryLong

  const sourceName = input.sourceName.trim()
  if (length(sourceName) > ARTICLE_LIMITS.sourceName) errors.sourceName = articleFormMessages.sourceNameLong

  const sourceUrl = input.sourceUrl.trim()
  if (sourceUrl !== '') {
    // Only web links: a javascript: or data: URL in 来自 would run in readers' browsers.
    let ok = false
    try {
      const u = new URL(sourceUrl)
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && /^https?:\/\//i.test(sourceUrl)
    } catch { ok = false }
    if (!ok) errors.sourceUrl = articleFormMessages.sourceUrlBad
    else if (sourceUrl.length > ARTICLE_LIMITS.sourceUrl) errors.sourceUrl = articleFormMessages.sourceUrlLong
  }

  const originalAuthor = input.originalAuthor.trim()
  if (length(originalAuthor) > ARTICLE_LIMITS.originalAuthor) errors.originalAuthor = articleFormMessages.originalAuthorLong

  let rendered: ArticleRender | null = null
  if (input.body.trim() === '') errors.body = articleFormMessages.bodyEmpty
  else {
    const r = renderArticle(input.body)
    if ('refusal' in r) errors.body = r.refusal
    else rendered = r
  }

  const status = isArticleStatus(input.status) ? input.status : null
  if (status === null) errors.status = articleFormMessages.statusBad

  let publishedAt = ctx.now
  if (input.publishAt.trim() !== '') {
    const at = parseSiteDateTime(input.publishAt, ctx.timeZone)
    if (at === null) errors.publishAt = articleFormMessages.publishAtBad
    else publishedAt = at
  }

  if (Object.keys(errors).length > 0 || rendered === null || status === null) return { ok: false, errors }
  return {
    ok: true,
    values: {
      title,
      categoryId,
      summary: summary === '' ? summaryFromBody(input.body) : summary,
      sourceName,
      sourceUrl,
      originalAuthor,
      body: input.body,
      rendered,
      allowComments: input.allowComments,
      status,
      publishedAt
    }
  }
}
