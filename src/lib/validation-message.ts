/**
 * The Chinese message for a request that failed its route schema, naming the field, e.g.
 * `“标题”过长`. Fastify gives Ajv's errors (keyword, instancePath, params); this turns the first one
 * into words a member can act on. Pure: the error handler passes what Fastify gave it.
 */

export interface SchemaIssue {
  keyword: string
  instancePath: string
  params: Record<string, unknown>
}

/** Names of the form fields and parameters people meet; anything else is named as sent. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  title: '标题',
  body: '内容',
  message: '内容',
  summary: '摘要',
  username: '用户名',
  login: '用户名或邮箱',
  password: '密码',
  password2: '确认密码',
  oldPassword: '原密码',
  emailPassword: '当前密码',
  form: '表单类型',
  email: '电子邮箱',
  reason: '理由',
  kind: '表态',
  page: '页码',
  word: '屏蔽词',
  action: '处理方式',
  replacement: '替换为',
  _csrf: '表单令牌',
  return: '返回地址',
  until: '到期时间',
  days: '期限',
  type: '类型',
  board: '版块',
  category: '分类'
}

const CONTEXT_LABELS: Readonly<Record<string, string>> = { body: '表单', querystring: '网址参数', params: '网址', headers: '请求头' }

export function fieldLabel (name: string): string {
  return FIELD_LABELS[name] ?? name
}

/** The field an issue is about: the missing property for `required`, else the last segment of its path. */
export function fieldOf (issue: SchemaIssue): string {
  const missing = issue.params.missingProperty
  if (issue.keyword === 'required' && typeof missing === 'string') return missing
  const extra = issue.params.additionalProperty
  if (issue.keyword === 'additionalProperties' && typeof extra === 'string') return extra
  const segments = issue.instancePath.split('/').filter((s) => s !== '')
  return segments[segments.length - 1] ?? ''
}

function problemOf (issue: SchemaIssue): string {
  switch (issue.keyword) {
    case 'required': return '不能为空'
    case 'maxLength': return `过长（最多 ${String(issue.params.limit)} 个字符）`
    case 'minLength': return Number(issue.params.limit) <= 1 ? '不能为空' : `过短（至少 ${String(issue.params.limit)} 个字符）`
    case 'additionalProperties': return '不是可以提交的字段'
    case 'enum': case 'const': return '不是可选的值'
    case 'maximum': case 'exclusiveMaximum': return '过大'
    case 'minimum': case 'exclusiveMinimum': return '过小'
    default: return '格式不正确'
  }
}

export function validationMessage (issues: readonly SchemaIssue[], context: string | undefined): string {
  const first = issues[0]
  if (first === undefined) return '提交的数据格式不正确，请检查后重试'
  const field = fieldOf(first)
  const where = CONTEXT_LABELS[context ?? ''] ?? '提交的数据'
  return field === ''
    ? `${where}格式不正确，请检查后重试`
    : `${where}中的“${fieldLabel(field)}”${problemOf(first)}，请检查后重试`
}
