import crypto from 'node:crypto'
import { can, type AuthUser } from './permissions'

/**
 * Holes in a member copy (src/plugins/member-pages.ts): a page rendered once for every plain member
 * holds a marker wherever one member's page differs from another's, and each request fills them.
 *
 * A marker is an HTML comment with a prefix random per process start (like VIEWS_MARKER in
 * guest-pages.ts), so user text can never forge one: it holds `<` and `>`, which autoescape turns into
 * entities in anything a user wrote, and Markdown bodies go through sanitize-html, which drops comments.
 * Every marker of a copy is replaced or dropped before a byte is sent.
 *
 * Three kinds:
 * - a value hole (`csrf`, `menu`, `chosen-luguo` …): replaced by what the filler gives for its name
 *   ('' when it gives nothing);
 * - an owner's section (`own:<authorId>` … `/section`): what lies between is kept only for the member
 *   whose id it names (edit and delete links on their own comments and posts), dropped for everyone else;
 * - a conditional section (`if:<name>` … `/section`): kept only when the filler gives '1' for `<name>`
 *   (the 撤销我的表态 form, while the member's own 表态 may still be taken back).
 * Holes inside a kept section are filled; sections do not nest.
 */
const PREFIX = `<!--luntan-hole-${crypto.randomBytes(16).toString('hex')}:`
const SUFFIX = '-->'
const OWN = 'own:'
const IF = 'if:'
const SECTION_END = '/section'

/** Hole names are ours: letters, digits and `:_-/`, never user text. */
const NAME = /^[a-z0-9:_/-]{1,64}$/

export function holeMarker (name: string): string {
  if (!NAME.test(name)) throw new Error(`bad hole name: ${name}`)
  return PREFIX + name + SUFFIX
}

/** Opens a section kept only for the member `authorId` (closed by sectionEnd). */
export function ownSectionStart (authorId: number): string {
  return holeMarker(`${OWN}${authorId}`)
}

/** Opens a section kept only when the filler gives '1' for `name` (closed by sectionEnd). */
export function ifSectionStart (name: string): string {
  return holeMarker(`${IF}${name}`)
}

export function sectionEnd (): string {
  return holeMarker(SECTION_END)
}

/** Whether text holds a hole marker (a page served to one member must hold none). */
export function hasHoles (text: string): boolean {
  return text.includes(PREFIX)
}

/** A copy cut at its markers: text, then a hole name, then text … (odd indexes are names). */
export interface HoledPage { readonly parts: readonly string[] }

/** Cuts a rendered page at its markers once, when the copy is kept; filling is then a join. */
export function cutAtHoles (html: string): HoledPage {
  const parts: string[] = []
  let from = 0
  for (;;) {
    const at = html.indexOf(PREFIX, from)
    if (at === -1) break
    const end = html.indexOf(SUFFIX, at + PREFIX.length)
    if (end === -1) break
    parts.push(html.slice(from, at), html.slice(at + PREFIX.length, end))
    from = end + SUFFIX.length
  }
  parts.push(html.slice(from))
  return { parts }
}

/**
 * The page for one member: each value hole replaced by `valueOf(name)` ('' when undefined), each owner's
 * section kept only when it names `memberId`, each conditional section only when `valueOf(name)` is '1'.
 */
export function fillHoles (page: HoledPage, memberId: number, valueOf: (name: string) => string | undefined): string {
  const out: string[] = []
  let keeping = true
  const { parts } = page
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? ''
    if (i % 2 === 0) {
      if (keeping) out.push(part)
      continue
    }
    if (part.startsWith(OWN)) {
      keeping = Number(part.slice(OWN.length)) === memberId
    } else if (part.startsWith(IF)) {
      keeping = valueOf(part.slice(IF.length)) === '1'
    } else if (part === SECTION_END) {
      keeping = true
    } else if (keeping) {
      out.push(valueOf(part) ?? '')
    }
  }
  return out.join('')
}

/** Every hole name of a copy (tests, and the checks a copy passes before it is kept). */
export function holeNames (page: HoledPage): string[] {
  return page.parts.filter((_, i) => i % 2 === 1)
}

/**
 * A member whose page is the shared member copy with holes: role member, may write (no ban), nothing
 * that changes their page beyond the holes (no password to change, no lock, 版主 of no board, nobody
 * blocked). Staff, 版主, banned and limited members get the full render. An unconfirmed e-mail address
 * changes no page a copy is made of (only a refused POST says so, when the site requires it): such
 * members, most of a site imported from Discuz and every member of the bench's data, share the copy.
 */
export function isPlainMember (user: AuthUser | null, now: number): user is AuthUser {
  return user !== null && user.role === 'member' && can(user, { action: 'write' }, now) &&
    user.mustChangePassword !== true && user.locked !== true &&
    (user.moderatedBoards?.length ?? 0) === 0 && (user.blockedIds?.length ?? 0) === 0
}
