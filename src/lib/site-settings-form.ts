/**
 * The 站点设置 form: which settings it edits, how each is checked, and the footer-link rows' moves.
 * Pure (no Fastify, no database): the route passes what was posted, the service saves what this accepts.
 * Every message is Chinese and names what to fix; a form with any error saves nothing.
 */

import { isTimeZone } from './time-zone'
import { normalizeSiteUrl } from './site-url'

export interface FooterLinkRow { label: string, url: string }

export const TEXT_FIELDS = {
  site_name: { label: '站点名称', min: 1, max: 40 },
  site_url: { label: '站点网址', min: 0, max: 200 },
  site_hotline: { label: '服务热线', min: 0, max: 40 },
  site_copyright: { label: '版权信息', min: 1, max: 100 },
  site_timezone: { label: '时区', min: 0, max: 60 },
  site_icp: { label: 'ICP 备案号', min: 0, max: 40 },
  site_police_record: { label: '公安备案号', min: 0, max: 40 },
  report_phone: { label: '举报电话', min: 0, max: 40 },
  report_email: { label: '举报邮箱', min: 0, max: 100 },
  captcha_question: { label: '验证问题', min: 0, max: 100 },
  captcha_answer: { label: '验证问题答案', min: 0, max: 50 }
} as const

export const SWITCH_FIELDS = {
  registration_open: '开放注册',
  darkroom_enabled: '小黑屋',
  archiver_enabled: 'Archiver',
  archiver_redirect: 'Archiver 只给搜索引擎（访客转到正常页面）',
  guest_comments: '允许游客评论',
  comment_store_raw_ip: '保存评论者的原始 IP',
  email_verification_required: '发表内容前须验证 Email（未验证的会员只能浏览和表态）',
  captcha_register: '注册时需要验证码',
  captcha_guest_comments: '游客评论需要验证码'
} as const

export const NUMBER_FIELDS = {
  comment_max_length: { label: '评论最大长度', unit: '字', min: 10, max: 10000 },
  reactions_daily_cap: { label: '每人每日表态上限', unit: '次', min: 1, max: 10000 },
  view_dedupe_hours: { label: '浏览量去重时长', unit: '小时', min: 0, max: 168 },
  // The anti-abuse numbers (src/features/antiabuse): 0 turns each rule off.
  flood_interval: { label: '发帖间隔', unit: '秒', min: 0, max: 3600 },
  new_member_flood_interval: { label: '新会员首日发帖间隔', unit: '秒', min: 0, max: 3600 },
  new_member_silence: { label: '新会员注册后禁言', unit: '秒', min: 0, max: 86400 },
  new_member_link_review_count: { label: '新会员含链接内容送审', unit: '条', min: 0, max: 100 },
  search_per_minute: { label: '每分钟搜索次数上限', unit: '次', min: 1, max: 1000 },
  captcha_login_failures: { label: '登录失败几次后需要验证码', unit: '次', min: 0, max: 5 }
} as const

export type TextField = keyof typeof TEXT_FIELDS
export type SwitchField = keyof typeof SWITCH_FIELDS
export type NumberField = keyof typeof NUMBER_FIELDS
export type FormField = TextField | SwitchField | NumberField | 'footer_links'

export const FORM_KEYS: readonly FormField[] = [
  ...Object.keys(TEXT_FIELDS) as TextField[],
  ...Object.keys(SWITCH_FIELDS) as SwitchField[],
  ...Object.keys(NUMBER_FIELDS) as NumberField[],
  'footer_links'
]

export const MAX_FOOTER_LINKS = 20
export const FOOTER_LABEL_MAX = 20
export const FOOTER_URL_MAX = 200

/** What the form shows: every value as typed (strings), the link rows, and errors by field (`link_3` for a row). */
export interface SettingsForm {
  values: Record<TextField | NumberField, string> & Record<SwitchField, boolean>
  links: FooterLinkRow[]
}

export type FormErrors = Record<string, string>

/** The posted form (x-www-form-urlencoded; repeated fields arrive as arrays). */
export type PostedSettings = Record<string, string | string[] | undefined>

const list = (v: string | string[] | undefined): string[] => v === undefined ? [] : Array.isArray(v) ? v : [v]
const one = (v: string | string[] | undefined): string => Array.isArray(v) ? (v[0] ?? '') : (v ?? '')

/** The form as posted: blank link rows dropped, everything else kept as typed (trimmed). */
export function readPosted (body: PostedSettings): SettingsForm {
  const values: Record<string, string | boolean> = {}
  for (const key of Object.keys(TEXT_FIELDS)) values[key] = one(body[key]).trim()
  for (const key of Object.keys(NUMBER_FIELDS)) values[key] = one(body[key]).trim()
  for (const key of Object.keys(SWITCH_FIELDS)) values[key] = one(body[key]) === '1'
  const labels = list(body.link_label)
  const urls = list(body.link_url)
  const links: FooterLinkRow[] = []
  for (let i = 0; i < Math.max(labels.length, urls.length); i++) {
    const label = (labels[i] ?? '').trim()
    const url = (urls[i] ?? '').trim()
    if (label !== '' || url !== '') links.push({ label, url })
  }
  return { values: values as SettingsForm['values'], links }
}

/** The form for stored settings (any missing or unreadable value shows as the default given). */
export function formFromSettings (settings: Readonly<Record<string, string>>): SettingsForm {
  const values: Record<string, string | boolean> = {}
  for (const key of Object.keys(TEXT_FIELDS)) values[key] = settings[key] ?? ''
  for (const key of Object.keys(NUMBER_FIELDS)) values[key] = settings[key] ?? ''
  for (const key of Object.keys(SWITCH_FIELDS)) values[key] = settings[key] === '1' || settings[key] === 'true'
  return { values: values as SettingsForm['values'], links: parseFooterLinks(settings.footer_links ?? '[]') }
}

export function parseFooterLinks (json: string): FooterLinkRow[] {
  try {
    const parsed: unknown = JSON.parse(json)
    if (!Array.isArray(parsed)) return []
    return parsed.flatMap((l: unknown) => {
      if (typeof l !== 'object' || l === null) return []
      const { label, url } = l as Record<string, unknown>
      return typeof label === 'string' && typeof url === 'string' ? [{ label, url }] : []
    })
  } catch {
    return []
  }
}


const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * A footer URL: a path on this site (`/page/about`, not `//elsewhere` which browsers read as another
 * host) or an http(s) URL. Nothing else: `javascript:` and friends never reach an href.
 */
export function isFooterUrl (url: string): boolean {
  if (url.length > FOOTER_URL_MAX || CONTROL.test(url) || /\s/.test(url)) return false
  if (url.startsWith('/')) return !url.startsWith('//') && !url.startsWith('/\\')
  return isHttpUrl(url)
}

function isHttpUrl (url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false
  try {
    return new URL(url).hostname !== ''
  } catch {
    return false
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE = /^[0-9+\-() ]*$/

/** Every field checked; an empty object when the whole form may be saved. */
export function validateSettings (form: SettingsForm): FormErrors {
  const errors: FormErrors = {}
  for (const [key, rule] of Object.entries(TEXT_FIELDS)) {
    const value = form.values[key as TextField]
    if (CONTROL.test(value)) errors[key] = `${rule.label}不能包含控制字符`
    else if (value.length < rule.min) errors[key] = `${rule.label}不能为空`
    else if ([...value].length > rule.max) errors[key] = `${rule.label}最多 ${rule.max} 个字符`
  }
  const v = form.values
  // What the address rule would take (src/lib/site-url.ts): a value it would skip must not look saved and working.
  if (errors.site_url === undefined && v.site_url !== '' && normalizeSiteUrl(v.site_url) === null) errors.site_url = '站点网址须以 http:// 或 https:// 开头，不带 ? 和 #，例如 https://bbs.example.com'
  if (errors.site_timezone === undefined && v.site_timezone !== '' && !isTimeZone(v.site_timezone)) errors.site_timezone = '时区须为 IANA 时区名，例如 Asia/Shanghai；留空使用默认时区'
  for (const key of ['site_hotline', 'report_phone'] as const) {
    if (errors[key] === undefined && !PHONE.test(v[key])) errors[key] = `${TEXT_FIELDS[key].label}只能包含数字、空格和 + - ( )`
  }
  if (errors.report_email === undefined && v.report_email !== '' && !EMAIL.test(v.report_email)) errors.report_email = '举报邮箱格式不正确，例如 report@example.com'
  for (const [key, rule] of Object.entries(NUMBER_FIELDS)) {
    const raw = v[key as NumberField]
    if (!/^\d{1,6}$/.test(raw)) errors[key] = `${rule.label}须为 ${rule.min} 到 ${rule.max} 之间的整数`
    else if (Number(raw) < rule.min || Number(raw) > rule.max) errors[key] = `${rule.label}须为 ${rule.min} 到 ${rule.max} 之间的整数`
  }
  // The no-JavaScript captcha: a question without an answer (or the reverse) would lock those readers out.
  if (errors.captcha_question === undefined && errors.captcha_answer === undefined) {
    if (v.captcha_question !== '' && v.captcha_answer === '') errors.captcha_answer = '请填写验证问题的答案（留空问题和答案则不提供无 JavaScript 的验证方式）'
    else if (v.captcha_question === '' && v.captcha_answer !== '') errors.captcha_question = '请填写验证问题'
  }
  if (form.links.length > MAX_FOOTER_LINKS) errors.footer_links = `底部链接最多 ${MAX_FOOTER_LINKS} 个`
  form.links.forEach((link, i) => {
    if (link.label === '') errors[`link_${i}`] = '链接文字不能为空'
    else if ([...link.label].length > FOOTER_LABEL_MAX || CONTROL.test(link.label)) errors[`link_${i}`] = `链接文字最多 ${FOOTER_LABEL_MAX} 个字符`
    else if (!isFooterUrl(link.url)) errors[`link_${i}`] = '链接地址须为本站路径（以 / 开头）或 http(s):// 网址'
  })
  return errors
}

/** The settings rows to store for a valid form (key → text, as the settings table holds them). */
export function settingsToStore (form: SettingsForm): Record<FormField, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(TEXT_FIELDS)) out[key] = form.values[key as TextField]
  for (const key of Object.keys(NUMBER_FIELDS)) out[key] = String(Number(form.values[key as NumberField]))
  for (const key of Object.keys(SWITCH_FIELDS)) out[key] = form.values[key as SwitchField] ? '1' : '0'
  out.footer_links = JSON.stringify(form.links.map((l) => ({ label: l.label, url: l.url })))
  return out
}

/** A row button (上移/下移/删除) pressed: `up:2`, `down:0`, `delete:3`; anything else is null (save). */
export function parseRowOp (op: string | undefined): { kind: 'up' | 'down' | 'delete', index: number } | null {
  const m = /^(up|down|delete):(\d{1,2})$/.exec(op ?? '')
  if (m === null) return null
  return { kind: m[1] as 'up' | 'down' | 'delete', index: Number(m[2]) }
}

/** The rows after a move or deletion; an index out of range changes nothing. */
export function applyRowOp (links: readonly FooterLinkRow[], op: { kind: 'up' | 'down' | 'delete', index: number }): FooterLinkRow[] {
  const rows = [...links]
  const i = op.index
  if (i >= rows.length) return rows
  if (op.kind === 'delete') rows.splice(i, 1)
  else {
    const j = op.kind === 'up' ? i - 1 : i + 1
    if (j < 0 || j >= rows.length) return rows
    const a = rows[i] as FooterLinkRow
    rows[i] = rows[j] as FooterLinkRow
    rows[j] = a
  }
  return rows
}

/** The digits of a 公安 record number (`粤公网安备 44050702000001号` → `44050702000001`), for its query link. */
export function policeRecordCode (record: string): string {
  return (/\d{6,}/.exec(record) ?? [''])[0]
}
