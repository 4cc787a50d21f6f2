import fc from 'fast-check'

/**
 * The payload families of issue 24, as fast-check arbitraries: what a stranger can put in a URL,
 * a query or a form field. Shared by the fuzz suite and the stored-XSS suite.
 */

/** Strings an attacker types on purpose: injections, markup, pathological Markdown and BBCode. */
export const HOSTILE_STRINGS: readonly string[] = [
  "' OR 1=1 --", '" OR ""="', "1; DROP TABLE users; --", "1' UNION SELECT password_hash FROM users --", '%', '_', '\\', "\\'",
  '{{7*7}}', '{% raw %}', '{{ range.constructor("return process")() }}', '${7*7}', '#{7*7}', '<%= 7*7 %>', '{#', '{{', '{%',
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg/onload=alert(1)>', "javascript:alert(1)", '<a href="javascript:alert(1)">x</a>',
  '<iframe src="//evil.example"></iframe>', '<style>*{display:none}</style>', '</textarea><script>alert(1)</script>', "';alert(1);//",
  '[url=javascript:alert(1)]x[/url]', '[img]javascript:alert(1)[/img]', '[b]'.repeat(500), '[quote]'.repeat(300),
  '*'.repeat(5000), '_'.repeat(3000), '['.repeat(2000) + ']('.repeat(2000), '> '.repeat(2000), '`'.repeat(3000), '|a'.repeat(2000) + '\n' + '|-'.repeat(2000),
  '![x](' + 'a'.repeat(5000) + ')', '<'.repeat(5000), '&'.repeat(3000) + '#', '\n'.repeat(5000), '  \n'.repeat(2000),
  '../../../../etc/passwd', '..%2f..%2f', '%00', '\u0000', '\u0000admin', 'admin\u0000', '\u202eevil\u202c', '\u200b\u200c\u200d\ufeff', '𠀋😀👩‍👩‍👧‍👦', '\ud800', '\udfff', 'a\ud83d',
  '-1', '0', '-0', '1.5', '1e309', '0x1f', '0b101', '1_000', '99999999999999999999999999999999', String(Number.MAX_SAFE_INTEGER + 2), 'NaN', 'Infinity', ' 1', '1 ', '+1', '01',
  'true', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor', 'toString'
]

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c))
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const specialChar = fc.constantFrom('\u202e', '\u202d', '\u200f', '\u200b', '\u2028', '\u2029', '\ufeff', '\u0000', '\u007f', '\u3000', '\uffff', '\u{10ffff}', '\u{1f600}', '\u{20000}')

/** Any text: printable or not, 4-byte, right-to-left, zero-width, lone surrogates, NUL and controls. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.oneof(controlChar, loneSurrogate, specialChar, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 30 }).map((parts) => parts.join('')),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.tuple(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'grapheme', maxLength: 8 })).map(([a, b]) => a + b)
)

/** A value where a number is expected: negative, huge, float, hex, or not a number at all. */
export const anyId: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.double().map(String),
  fc.integer({ min: 0 }).map((n) => '0x' + n.toString(16)),
  anyText
)

/**
 * A URL component, percent-encoded as a browser would; a lone surrogate (which UTF-8 cannot hold) and
 * now and then a raw invalid byte go out as invalid UTF-8 bytes (%ED%A0%80, %FF, %C3%28).
 */
export function encodeComponent (value: string, invalidBytes = false): string {
  let out = ''
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0xd800 && code <= 0xdfff) out += '%ED%' + (0xa0 | ((code >> 6) & 0x1f)).toString(16).toUpperCase() + '%' + (0x80 | (code & 0x3f)).toString(16).toUpperCase()
    else out += encodeURIComponent(ch)
  }
  return invalidBytes ? out + '%FF%C3%28' : out
}

/** A form field's value: one string, a repeated field (an array), or in JSON an object or a number. */
export type FieldValue = string | string[] | { [key: string]: unknown } | number | boolean | null

export const anyFieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 6, arbitrary: anyText },
  { weight: 1, arbitrary: fc.array(anyText, { minLength: 2, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', '__proto__', 'constructor', '$gt', '0'), anyText, { maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) }
)

/** Field names our forms use (grep of views/**: name="…"), and a stray one. */
export const FIELD_NAMES = ['title', 'body', 'summary', 'name', 'slug', 'reason', 'login', 'password', 'email', 'emailPassword', 'oldPassword', 'username', 'kind', 'role', 'until', 'type', 'duration', 'word', 'action', 'replacement', 'range', 'board_id', 'catid', 'target', 'target_id', 'parent_id', 'description', 'site_timezone', 'q', 'page', 'return', 'guest_name', 'form', 'direction', 'dir', 'status', 'ids', 'alt', 'lines', 'op', 'confirm', 'message', 'member', 'moderator', 'display_order', 'enabled', 'pinned', 'closed', 'source_url', 'link_url', 'publish_at', 'version', 'thread_types', 'type_label', 'preview'] as const

export const anyForm: fc.Arbitrary<Record<string, FieldValue>> = fc.dictionary(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: anyText }), anyFieldValue, { maxKeys: 6 })

/** A form as application/x-www-form-urlencoded (arrays as repeated fields; objects as `a[b]`, which our parser keeps as a literal name). */
export function formEncode (form: Record<string, FieldValue>, invalidBytes = false): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(form)) {
    const values = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.entries(value).map(([k, v]) => [k, v] as const) : [value]
    for (const v of values) {
      if (Array.isArray(v)) parts.push(`${encodeComponent(`${key}[${String(v[0])}]`)}=${encodeComponent(String(v[1]), invalidBytes)}`)
      else parts.push(`${encodeComponent(key)}=${encodeComponent(String(v), invalidBytes)}`)
    }
  }
  return parts.join('&')
}
