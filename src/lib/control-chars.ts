/**
 * Characters no user text may carry: C0 controls but tab, line feed and carriage return (NUL
 * truncates strings in C tools, the others are invisible and confuse logs, terminals and the
 * word filter), DEL, and lone UTF-16 surrogates (not text at all: MySQL refuses them in utf8mb4
 * and they cannot be encoded back to UTF-8). With the `u` flag a surrogate pair is one code
 * point, so the surrogate range matches only lone halves.
 */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uD800-\uDFFF]/u

export function hasForbiddenControl (text: string): boolean {
  return FORBIDDEN.test(text)
}

/**
 * Whether any string in a parsed request body (a form's fields, or JSON of any shape: keys and
 * values) carries a forbidden character. Walks with an explicit stack, so a deeply nested JSON
 * body cannot overflow the call stack.
 */
export function bodyHasForbiddenControl (body: unknown): boolean {
  const stack: unknown[] = [body]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === 'string') {
      if (hasForbiddenControl(value)) return true
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item)
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (hasForbiddenControl(key)) return true
        stack.push(item)
      }
    }
  }
  return false
}
