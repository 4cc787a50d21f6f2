import { bbcodeToMarkdown } from '../../src/lib/bbcode-markdown'
import { parseClickSlots } from '../../src/lib/discuz-click-slots'
import { discuzMd5, storedDiscuzHash, verifyDiscuzMd5 } from '../../src/lib/discuz-password'
import { phpGet, phpSerialize, phpUnserialize, PhpUnserializeError } from '../../src/lib/php-unserialize'
import { renderMarkdown } from '../../src/lib/markdown'
import { needsRehash, verifyPassword } from '../../src/features/members/password'
import { guestMayView, postStatus, threadStatus, threadTypeLabels } from '../../src/features/discuz-import/steps/forum'
import { discuzSignatureText } from '../../src/lib/discuz-signature'
import { updateByIds } from '../../src/db/bulk-update'
import { createTestDatabase, dialects } from '../helpers/database'
import { avatarPath, safeRelativePath } from '../../src/features/discuz-import/steps/site'

describe('PHP unserialize', () => {
  it('reads the scalar types and nested arrays, with string lengths in UTF-8 bytes', () => {
    const v = phpUnserialize('a:4:{i:1;s:6:"路过";s:1:"b";b:1;s:1:"n";N;s:1:"d";a:2:{i:0;d:1.5;i:1;i:-3;}}')
    expect(phpGet(v, 1)).toBe('路过')
    expect(phpGet(v, 'b')).toBe(true)
    expect(phpGet(v, 'n')).toBeNull()
    expect(phpGet(phpGet(v, 'd'), 0)).toBe(1.5)
    expect(phpGet(phpGet(v, 'd'), 1)).toBe(-3)
  })

  it('reads objects as arrays of their properties', () => {
    expect(phpGet(phpUnserialize('O:8:"stdClass":1:{s:1:"a";i:2;}'), 'a')).toBe(2)
  })

  it('round-trips what phpSerialize writes', () => {
    const s = phpSerialize({ aid: { 1: { name: '鸡蛋', clickid: 15 } } })
    expect(s).toBe('a:1:{s:3:"aid";a:1:{i:1;a:2:{s:4:"name";s:6:"鸡蛋";s:7:"clickid";i:15;}}}')
    expect(phpGet(phpGet(phpGet(phpUnserialize(s), 'aid'), 1), 'name')).toBe('鸡蛋')
  })

  it.each([
    ['s:7:"路过";', 'a length in characters, not bytes'],
    ['a:2:{i:0;i:1;}', 'fewer entries than announced'],
    ['i:1;i:2;', 'trailing bytes'],
    ['s:3:"abc"', 'a missing ;'],
    ['x:1;', 'an unknown type'],
    ['a:1:{a:0:{}i:1;}', 'an array as a key'],
    ['', 'nothing']
  ])('refuses %j (%s)', (input) => {
    expect(() => phpUnserialize(input)).toThrow(PhpUnserializeError)
  })
})

describe('click slots from common_syscache', () => {
  it('maps each slot to our kind by its name, whatever the order; unknown names are reported', () => {
    const data = phpSerialize({
      blogid: { 1: { name: '路过' } },
      aid: { 1: { clickid: 15, name: '鸡蛋' }, 2: { clickid: 11, name: '路过' }, 3: { clickid: 14, name: '鲜花' }, 4: { clickid: 13, name: '握手' }, 5: { clickid: 12, name: '雷人' }, 6: { clickid: 16, name: '感动' } }
    })
    const slots = parseClickSlots(data)
    expect([...slots.bySlot]).toEqual([[1, 'jidan'], [2, 'luguo'], [3, 'xianhua'], [4, 'woshou'], [5, 'leiren']])
    expect(slots.unknown).toEqual([{ slot: 6, name: '感动' }])
  })
})

describe('Discuz password formats', () => {
  it('md5(md5(password).salt) over UTF-8 bytes, compared in constant time', () => {
    expect(discuzMd5('abc', 'salt12')).toBe('b7b00665922627d6617fa7da1fcc3bb3') // md5(md5('abc') . 'salt12'), as PHP computes it
    const stored = storedDiscuzHash(discuzMd5('密码ü', 'x1y2z3'), 'x1y2z3')
    expect(stored).toMatch(/^\$discuz-md5\$x1y2z3\$[0-9a-f]{32}$/)
    expect(verifyDiscuzMd5('密码ü', stored ?? '')).toBe(true)
    expect(verifyDiscuzMd5('密码u', stored ?? '')).toBe(false)
    expect(verifyDiscuzMd5(Buffer.from('密码ü', 'utf8').toString('latin1'), stored ?? '')).toBe(false)
  })

  it('keeps bcrypt hashes as they are and refuses anything else', () => {
    const y = '$2y$10$' + 'a'.repeat(53)
    expect(storedDiscuzHash(y, '')).toBe(y)
    expect(storedDiscuzHash('not-a-hash', 'abcdef')).toBeNull()
    expect(storedDiscuzHash('0'.repeat(32), '')).toBeNull() // md5 without its salt cannot be checked
  })

  it('login verifies $2y$ bcrypt and imported md5 hashes, and asks for them to be replaced', async () => {
    const bcrypt = (await import('bcrypt')).default
    const y = `$2y$${(await bcrypt.hash('pw-1', 4)).slice(4)}`
    expect(await verifyPassword('pw-1', y)).toBe(true)
    expect(await verifyPassword('pw-2', y)).toBe(false)
    const md5 = storedDiscuzHash(discuzMd5('pw-1', 'abcdef'), 'abcdef') ?? ''
    expect(await verifyPassword('pw-1', md5)).toBe(true)
    expect(needsRehash(y)).toBe(true)
    expect(needsRehash(md5)).toBe(true)
    expect(needsRehash(await bcrypt.hash('pw-1', 4))).toBe(false)
  })
})

describe('BBCode to Markdown', () => {
  it.each([
    ['[b]粗[/b] [i]斜[/i] [s]删[/s]', '**粗** *斜* ~~删~~'],
    ['[quote][quote]里[/quote]外[/quote]', '> > 里\n>\n> 外'],
    ['[url=http://a.b/c_d]链接[/url]', '[链接](http://a.b/c_d)'],
    ['[url=javascript:alert(1)]坏[/url]', '坏'],
    ['[img]javascript:alert(1)[/img]', 'javascript:alert(1)'],
    ['[email]a@b.c[/email]', '[a@b.c](mailto:a@b.c)'],
    ['[list=1][*]a[*]b[/list]', '1. a\n2. b'],
    ['[code]*x* [b]y[/b][/code]', '```\n*x* [b]y[/b]\n```'],
    ['[i]never closed', '\\[i\\]never closed'],
    ['a\nb', 'a  \nb'],
    ['# x\n> y\n1. z', '\\# x  \n\\> y  \n1\\. z'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)>'],
    ['[attach]7[/attach]', '\\[附件 7\\]'],
    ['[size=7][color=#f00][font=宋体]字[/font][/color][/size]', '字'],
    ['[hr]', '---']
  ])('%j → %j', (bbcode, markdown) => {
    expect(bbcodeToMarkdown(bbcode)).toBe(markdown)
  })

  it('renders to safe HTML whatever the input', () => {
    const html = renderMarkdown(bbcodeToMarkdown('[url=http://x/"onmouseover=alert(1)]x[/url] <script>alert(1)</script> [img]http://x/a.png" onerror="alert(1)[/img]'))
    expect(html).not.toMatch(/<script|\sonerror=|\sonmouseover=/i) // inside an href value they are only text
    expect(html).toContain('&lt;script&gt;')
  })
})

describe('Discuz field rules', () => {
  it('reads viewperm: empty or with the guest group (7) means guests may view', () => {
    expect(guestMayView('')).toBe(true)
    expect(guestMayView(null)).toBe(true)
    expect(guestMayView('\t7\t10\t')).toBe(true)
    expect(guestMayView('\t1\t2\t3\t10\t')).toBe(false)
  })

  it('maps displayorder and invisible to our statuses', () => {
    expect([3, 1, 0, -1, -2, -3, -4].map(threadStatus)).toEqual(['visible', 'visible', 'visible', 'deleted', 'pending', 'deleted', 'deleted'])
    expect([0, -1, -2, -3, -5].map(postStatus)).toEqual(['visible', 'deleted', 'pending', 'deleted', 'deleted'])
  })

  it('builds UCenter avatar paths and refuses attachment paths that climb out', () => {
    expect(avatarPath(1)).toBe('000/00/00/01_avatar_big.jpg')
    expect(avatarPath(123456789)).toBe('123/45/67/89_avatar_big.jpg')
    expect(safeRelativePath('202311/05/abc.png')).toBe('202311/05/abc.png')
    for (const bad of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a//b', 'a\\..\\b', '']) expect(safeRelativePath(bad)).toBeNull()
  })
})

describe('Discuz signatures as text', () => {
  it.each([
    ['<a href="https://a.example.com/x" target="_blank">https://a.example.com/x</a>', 'https://a.example.com/x', 0],
    ['看 <a href="https://a.example.com/">我的站</a>', '看 我的站 https://a.example.com/', 0],
    ['<a href="javascript:alert(1)">点我</a>', '点我', 0],
    ['<strong>粗</strong><br />第二行<br>第三行', '粗\n第二行\n第三行', 0],
    ['&lt;b&gt; &amp; &#20320; &#x597D; &nbsp;', '<b> & 你 好', 0],
    ['[b]粗[/b] [color=red]红[/color] [url=https://b.example.com]站[/url] [img]https://b.example.com/i.png[/img]', '粗 红 站 https://b.example.com', 1],
    ['<img src="a.png" /><img src="b.png">', '', 2]
  ])('%s', (sightml, text, images) => {
    expect(discuzSignatureText(sightml)).toEqual({ text, droppedImages: images })
  })

  it('reads at most 8000 characters of an odd one (unclosed links), quickly', () => {
    const started = Date.now()
    const out = discuzSignatureText('<a href="https://x.example/">'.repeat(20000))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(out.text.length).toBeLessThanOrEqual(8000)
  })
})

describe('主题分类 labels', () => {
  it('keeps display order, strips HTML and brackets, cuts to 8 characters, merges a repeated name and stops at 20', () => {
    const rows = [
      { typeid: 1, fid: 2, name: '<b>[求助]</b>' },
      { typeid: 2, fid: 2, name: '求助' },
      { typeid: 3, fid: 2, name: '一二三四五六七八九' },
      { typeid: 4, fid: 3, name: '  ' },
      ...Array.from({ length: 21 }, (_, i) => ({ typeid: 100 + i, fid: 9, name: `分类${i}` }))
    ]
    const labels = threadTypeLabels(rows)
    expect(labels.byBoard.get(2)).toEqual(['求助', '一二三四五六七八'])
    expect(labels.byType.get(2)).toEqual({ fid: 2, label: '求助' })
    expect(labels.byType.has(4)).toBe(false)
    expect(labels.byBoard.get(9)).toHaveLength(20)
    expect(labels.byType.has(120)).toBe(false)
    expect(labels.issues.get(2)?.map((i) => i.kind)).toEqual(['changed', 'changed'])
    expect(labels.issues.get(3)).toEqual([{ key: 'threadclass:4', kind: 'skipped', reason: '主题分类名称为空' }])
    expect(labels.issues.get(9)).toEqual([{ key: 'threadclass:120', kind: 'skipped', reason: '版块的主题分类超过 20 个' }])
  })
})

describe.each(dialects)('updateByIds on %s', (dialect) => {
  it('writes each row its own values in one statement per chunk, nulls and strings included, other rows untouched', async () => {
    const db = await createTestDatabase(dialect)
    try {
      await db.knex.schema.createTable('bulk_probe', (t) => { t.integer('id').primary(); t.integer('n').nullable(); t.string('s', 20).notNullable().defaultTo('') })
      for (let from = 0; from < 5000; from += 250) await db.knex('bulk_probe').insert(Array.from({ length: 250 }, (_, i) => ({ id: from + i + 1, n: 0, s: '' })))
      const rows = Array.from({ length: 4000 }, (_, i): { id: number, values: Record<string, number | string | null> } => ({ id: i + 1, values: i % 2 === 0 ? { n: i, s: `第${i}` } : { n: null } }))
      await db.knex.transaction(async (trx) => { await updateByIds(trx, 'bulk_probe', rows) })
      const got = await db.knex('bulk_probe').whereIn('id', [1, 2, 3999, 4000, 4001]).orderBy('id').select('id', 'n', 's')
      expect(got).toEqual([{ id: 1, n: 0, s: '第0' }, { id: 2, n: null, s: '' }, { id: 3999, n: 3998, s: '第3998' }, { id: 4000, n: null, s: '' }, { id: 4001, n: 0, s: '' }])
    } finally {
      await db.destroy()
    }
  }, 60_000)
})
