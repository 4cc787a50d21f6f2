/**
 * A path fit for the `Location` header: Node refuses any header byte outside Latin-1 visible text
 * (ERR_INVALID_CHAR, which was a 500 after a successful login with `return=/forum?q=你`), so every
 * character outside printable ASCII is percent-encoded as UTF-8, as a browser would send it. Existing
 * `%XX` escapes are left as they are (no double encoding); a lone surrogate cannot be encoded and
 * sends the member home instead.
 */
export function encodeLocation (path: string): string {
  try {
    return path.replace(/[^\u0021-\u007e]/gu, (ch) => encodeURIComponent(ch))
  } catch {
    return '/'
  }
}
