import { cutAtHoles, fillHoles, hasHoles, holeMarker, holeNames, ifSectionStart, isPlainMember, ownSectionStart, sectionEnd } from '../../src/lib/member-holes'
import type { AuthUser } from '../../src/lib/permissions'

/** The member copy's holes (src/lib/member-holes.ts): cut once, filled per member. */
describe('member holes', () => {
  const page = cutAtHoles([
    '<nav>', holeMarker('menu'), '</nav>',
    '<li>', ownSectionStart(7), '<a>编辑 7</a><input value="', holeMarker('csrf'), '">', sectionEnd(), '</li>',
    '<li>', ownSectionStart(8), '<a>编辑 8</a>', sectionEnd(), '</li>',
    '<li class="cell', holeMarker('chosen-luguo'), '">', ifSectionStart('reaction-withdraw'), '<form>撤销</form>', sectionEnd()
  ].join(''))

  it('fills value holes, keeps an owner\'s section only for its author, and a conditional one only when switched on', () => {
    const values: Record<string, string> = { menu: '甲', csrf: 'T7', 'chosen-luguo': ' react-chosen', 'reaction-withdraw': '1' }
    expect(fillHoles(page, 7, (n) => values[n])).toBe('<nav>甲</nav><li><a>编辑 7</a><input value="T7"></li><li></li><li class="cell react-chosen"><form>撤销</form>')
    expect(fillHoles(page, 8, () => undefined)).toBe('<nav></nav><li></li><li><a>编辑 8</a></li><li class="cell">')
    expect(holeNames(page)).toEqual(['menu', 'own:7', 'csrf', '/section', 'own:8', '/section', 'chosen-luguo', 'if:reaction-withdraw', '/section'])
  })

  it('never leaves a marker in a filled page, and refuses names that are not ours', () => {
    expect(hasHoles(fillHoles(page, 7, () => 'x'))).toBe(false)
    expect(() => holeMarker('a-->b')).toThrow()
    expect(() => holeMarker('')).toThrow()
    // The prefix is random per process: text that merely looks like a hole is left as it is.
    const lookalike = '<!--luntan-hole-0000:menu-->'
    expect(fillHoles(cutAtHoles(lookalike), 1, () => 'x')).toBe(lookalike)
  })

  it('tells a plain member from staff, 版主, banned and limited members', () => {
    const now = 1_800_000_000
    const plain: AuthUser = { id: 1, username: 'a', role: 'member', createdAt: 0, postCount: 0, banType: null, banUntil: null, banReason: null }
    expect(isPlainMember(plain, now)).toBe(true)
    expect(isPlainMember(null, now)).toBe(false)
    for (const other of [
      { ...plain, role: 'editor' as const }, { ...plain, role: 'moderator' as const }, { ...plain, role: 'admin' as const },
      { ...plain, banType: 'post' as const }, { ...plain, mustChangePassword: true }, { ...plain, locked: true },
      { ...plain, moderatedBoards: [3] }, { ...plain, blockedIds: [2] }
    ]) expect(isPlainMember(other, now)).toBe(false)
    // An unconfirmed address shows on no copied page.
    expect(isPlainMember({ ...plain, emailVerified: false }, now)).toBe(true)
    // An expired ban no longer counts.
    expect(isPlainMember({ ...plain, banType: 'post', banUntil: now - 1 }, now)).toBe(true)
  })
})
