import { can, type AuthUser, type Role } from '../../src/lib/permissions'

const NOW = 1_800_000_000
const user = (role: Role, moderatedBoards?: number[], banned = false): AuthUser => ({
  id: 7, username: 'u', role, createdAt: 0, postCount: 0, banType: banned ? 'post' : null, banUntil: null, banReason: banned ? '测试' : null, moderatedBoards
})

describe('can(): per-board moderators (版主)', () => {
  // role × (in their board, in another board, anywhere at all)
  const cases: Array<[string, AuthUser | null, boolean, boolean, boolean]> = [
    ['guest', null, false, false, false],
    ['member', user('member'), false, false, false],
    ['editor', user('editor'), false, false, false],
    ['member 版主 of board 1', user('member', [1]), true, false, true],
    ['editor 版主 of board 1', user('editor', [1]), true, false, true],
    ['banned 版主 of board 1', user('member', [1], true), false, false, false],
    ['site moderator', user('moderator'), true, true, true],
    ['banned site moderator', user('moderator', [], true), false, false, false],
    ['admin', user('admin'), true, true, true]
  ]
  it.each(cases)('%s', (_name, who, own, other, any) => {
    expect(can(who, { action: 'moderate-board', boardId: 1 }, NOW)).toBe(own)
    expect(can(who, { action: 'moderate-board', boardId: 2 }, NOW)).toBe(other)
    expect(can(who, { action: 'moderate-any-board' }, NOW)).toBe(any)
  })

  it('a 版主 of a board does not get the site-wide moderation (/mod, comments, bans)', () => {
    const boardMod = user('member', [1])
    expect(can(boardMod, { action: 'moderate' }, NOW)).toBe(false)
    expect(can(boardMod, { action: 'ban', target: { id: 9, role: 'member' } }, NOW)).toBe(false)
  })
})
