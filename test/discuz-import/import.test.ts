import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Knex } from 'knex'
import { ManualClock } from '../../src/lib/clock'
import { openDiscuzSource, runDiscuzImport, type DiscuzImportSummary } from '../../src/features/discuz-import'
import { ImportInterrupted } from '../../src/features/discuz-import/runner'
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, databaseUrl } from '../helpers/app'
import { createDiscuzSite, mysqlUrl, NOW, passwords, type DiscuzSite } from './source'

/**
 * import:discuz against a Discuz-shaped MariaDB database the test builds itself (./source.ts), into
 * luntan on both dialects: what each member, article, reaction, board, post and ban became, the old
 * URLs, a re-run, a dry run, and a resume after an interruption mid-import.
 */

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082', 'hex')

const describeWithSource = mysqlUrl === '' ? describe.skip : describe
if (mysqlUrl === '') console.warn('test/discuz-import/import.test.ts skipped: it needs TEST_MYSQL_URL (the Discuz source is a MariaDB database)')

let site: DiscuzSite
let attachmentsDir: string
beforeAll(async () => {
  if (mysqlUrl === '') return
  site = await createDiscuzSite()
  attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'discuz-attach-'))
  fs.mkdirSync(path.join(attachmentsDir, 'forum', '202311', '05'), { recursive: true })
  fs.writeFileSync(path.join(attachmentsDir, 'forum', '202311', '05', 'abc.png'), PNG)
  fs.mkdirSync(path.join(attachmentsDir, 'portal', '202311'), { recursive: true })
  fs.writeFileSync(path.join(attachmentsDir, 'portal', '202311', 'p.png'), PNG)
}, 60_000)
afterAll(async () => {
  if (mysqlUrl === '') return
  await site.drop()
  fs.rmSync(attachmentsDir, { recursive: true, force: true })
})

async function importInto (db: Knex, uploadsDir: string, extra: { dryRun?: boolean, batch?: number, failAt?: { step: string, afterBatches: number } } = {}): Promise<DiscuzImportSummary> {
  const source = openDiscuzSource(site.url, 'pre_', 'pre_ucenter_')
  try {
    return await runDiscuzImport({ source, db, batch: extra.batch ?? 5000, dryRun: extra.dryRun ?? false, now: NOW, uploadsDir, attachmentsDir, failAt: extra.failAt })
  } finally {
    await source.close()
  }
}

/** Every imported table's rows, in id order, as JSON (passwords' random placeholders excluded). */
async function snapshot (db: Knex): Promise<string> {
  const tables = ['users', 'board_moderators', 'bans', 'moderation_log', 'categories', 'articles', 'comments', 'reactions', 'boards', 'threads', 'posts', 'word_filters', 'settings', 'discuz_import_issues']
  const out: Record<string, unknown> = {}
  for (const table of tables) {
    const order = table === 'settings' ? 'key' : table === 'reactions' ? 'article_id' : 'id'
    const rows = await db(table).orderBy(order).orderBy(table === 'reactions' ? 'user_id' : order).select<Array<Record<string, unknown>>>('*')
    // Rows with ids of their own (not Discuz's) are compared without them: an interrupted run may have used one up.
    const ownIds = ['reactions', 'moderation_log', 'bans', 'board_moderators', 'discuz_import_issues'].includes(table)
    out[table] = rows.map((r) => ownIds ? Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'id')) : r)
  }
  return JSON.stringify(out)
}

describeWithSource.each(dialects)('import:discuz into %s', (dialect) => {
  const uploadsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-uploads-'))
  let summary: DiscuzImportSummary
  const ctx = useTestApp(dialect, {
    app: { clock: new ManualClock(NOW * 1000), env: { UPLOADS_DIR: uploadsDir, RATE_LIMIT_ALLOW: '127.0.0.1,::1,::ffff:127.0.0.1' } },
    seed: async (db) => { summary = await importInto(db.knex, uploadsDir) }
  })
  const step = (name: string): DiscuzImportSummary['steps'][number] | undefined => summary.steps.find((s) => s.step === name)

  it('reports rows read, imported and skipped per table, and lists every skip with its reason', async () => {
    expect(step('members')).toMatchObject({ read: 8, imported: 8, skipped: 0 })
    expect(step('articles')).toMatchObject({ read: 3, imported: 2, skipped: 1 })
    expect(step('comments')).toMatchObject({ read: 3, imported: 2, skipped: 1 })
    expect(step('reactions')).toMatchObject({ read: 3, imported: 3, skipped: 0 })
    expect(step('boards')).toMatchObject({ read: 5, imported: 4, skipped: 1 })
    expect(step('threads')).toMatchObject({ read: 5, imported: 4, skipped: 1 })
    expect(step('posts')).toMatchObject({ read: 9, imported: 7, skipped: 2 })
    const issues = await ctx.db.knex('discuz_import_issues').orderBy('id').select<Array<{ step: string, source_key: string, kind: string, reason: string }>>('step', 'source_key', 'kind', 'reason')
    const has = (s: string, key: string, reason: RegExp): void => { expect(issues.some((i) => i.step === s && i.source_key === key && reason.test(i.reason))).toBe(true) }
    has('articles', '3', /作者 uid 99 未导入/)
    has('threads', '3', /移动主题/)
    has('posts', '6', /主题 3 未导入/)
    has('posts', '7', /游客/)
    has('boards', '5', /群组/)
    has('members', '6', /改名为 ａｌｉｃｅ_6/)
    has('members', '5', /E-mail/)
    has('members', '8', /找回密码/)
    has('words', '4', /正则/)
    has('article-counters', '1', /表态 xianhua Discuz 2，按表态行计为 1/)
    has('board-counters', '2', /Discuz 2\/3，按行计为 1\/2/)
    expect(summary.notes.join('\n')).not.toMatch(/click 缓存/)
  })

  it('keeps Discuz ids, and new rows continue after the highest one', async () => {
    expect(await ctx.db.knex('users').orderBy('id').pluck('id')).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const [id] = await ctx.db.knex('categories').insert({ name: '新频道', description: '', display_order: 9 })
    expect(Number(id)).toBe(3)
    const [tid] = await ctx.db.knex('threads').insert({ board_id: 2, author_id: 1, title: '新主题', created_at: NOW, last_post_at: NOW })
    expect(Number(tid)).toBe(6)
    await ctx.db.knex('threads').where({ id: tid }).delete()
    await ctx.db.knex('categories').where({ id }).delete()
  })

  it('members log in with their Discuz passwords (bcrypt $2y$ and md5+salt, UTF-8), and the hash becomes ours', async () => {
    const before = await ctx.db.knex('users').whereIn('id', [1, 2, 5]).orderBy('id').pluck('password_hash') as string[]
    expect(before[0]).toMatch(/^\$2y\$/)
    expect(before[1]).toMatch(/^\$discuz-md5\$a1b2c3\$/)
    const tryLogin = async (login: string, password: string): Promise<number> => {
      const agent = ctx.t.agent()
      const page = await agent.get('/login').expect(200)
      return (await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), login, password })).status
    }
    expect(await tryLogin('alice', 'wrong-password')).toBe(400)
    expect(await tryLogin('admin', passwords.admin)).toBe(303)
    expect(await tryLogin('alice', passwords.alice)).toBe(303)
    const after = await ctx.db.knex('users').whereIn('id', [1, 2, 5]).orderBy('id').pluck('password_hash') as string[]
    expect(after[0]).toMatch(/^\$2b\$04\$/)
    expect(after[1]).toMatch(/^\$2b\$04\$/)
    expect(after[2]).toBe(before[2]) // dave never logged in: his old hash stays
    expect(await tryLogin('alice', passwords.alice)).toBe(303) // and the new hash works
    expect(await tryLogin('dave', passwords.dave)).toBe(303) // a member named by a renamed duplicate still logs in
    expect(await tryLogin('erin', 'anything')).toBe(400) // no UCenter row: no password matches
  })

  it('maps groups to roles and bans: active bans in the darkroom with their reasons, expired ones as history', async () => {
    const roles = await ctx.db.knex('users').orderBy('id').pluck('role')
    // mod is Discuz's 版主 (group 3): a member here, with 版主 of their own boards (the board-moderators test).
    expect(roles).toEqual(['admin', 'member', 'member', 'member', 'member', 'member', 'member', 'member'])
    const bans = await ctx.db.knex('bans').orderBy('user_id').select<Array<Record<string, unknown>>>('user_id', 'type', 'reason', 'expires_at', 'moderator_id', 'lifted_at')
    expect(bans).toEqual([
      { user_id: 3, type: 'post', reason: '灌水广告', expires_at: null, moderator_id: 1, lifted_at: null },
      { user_id: 4, type: 'visit', reason: '辱骂他人', expires_at: NOW - 5 * 86400, moderator_id: 7, lifted_at: NOW - 5 * 86400 },
      { user_id: 8, type: 'visit', reason: '发布违法信息', expires_at: NOW + 30 * 86400, moderator_id: 1, lifted_at: null }
    ])
    const carol = await ctx.db.knex('users').where({ id: 4 }).first('ban_type')
    expect(carol.ban_type).toBeNull()
    const room = await ctx.t.agent().get('/darkroom').expect(200)
    expect(room.text).toContain('灌水广告')
    expect(room.text).toContain('发布违法信息')
    expect(room.text).not.toContain('辱骂他人')
    const log = await ctx.db.knex('moderation_log').where({ request_id: 'discuz-import' }).orderBy('created_at').select<Array<Record<string, unknown>>>('actor_id', 'action', 'target_id', 'reason')
    expect(log).toHaveLength(4)
    expect(log).toContainEqual({ actor_id: 7, action: 'discuz_crime_2', target_id: 5, reason: '警告一次' })
    expect(log).toContainEqual({ actor_id: 1, action: 'ban', target_id: 3, reason: '灌水广告' })
  })

  it('imports a two-page article in page order, with its views, and its comments visible and pending', async () => {
    const a = await ctx.db.knex('articles').where({ id: 1 }).first()
    expect(a).toMatchObject({ category_id: 2, author_id: 1, views: 42, page_count: 2, status: 'published', source_name: '本地日报', original_author: '原作者甲', summary: '摘要 & 简介', comment_count: 1 })
    expect(String(a.body).indexOf('第一页')).toBeLessThan(String(a.body).indexOf('第二页的内容'))
    const p1 = await ctx.t.agent().get('/article/1').expect(200)
    expect(p1.text).toContain('第一页的内容。')
    expect(p1.text).not.toContain('第二页的内容。')
    expect(p1.text).toContain('写得好 &lt;b&gt;不是粗体&lt;/b&gt;')
    expect(p1.text).not.toContain('待审核的评论')
    const p2 = await ctx.t.agent().get('/article/1?page=2').expect(200)
    expect(p2.text).toContain('第二页的内容。')
    expect(p2.text).toContain('第二页标题')
    expect(p2.text).toContain('src="/data/attachment/portal/202311/p.png"')
    expect(await ctx.db.knex('comments').orderBy('id').select('id', 'status', 'author_id', 'guest_name')).toEqual([
      { id: 1, status: 'visible', author_id: 2, guest_name: '' },
      { id: 2, status: 'pending', author_id: null, guest_name: '路人甲' }
    ])
    expect((await ctx.db.knex('articles').where({ id: 2 }).first('status')).status).toBe('pending')
  })

  it('maps click slots by their names, not their positions, with each member\'s reaction', async () => {
    const reactions = await ctx.db.knex('reactions').orderBy('user_id').select('article_id', 'user_id', 'kind')
    expect(reactions).toEqual([
      { article_id: 1, user_id: 2, kind: 'jidan' },
      { article_id: 1, user_id: 5, kind: 'xianhua' },
      { article_id: 1, user_id: 7, kind: 'luguo' }
    ])
    const a = await ctx.db.knex('articles').where({ id: 1 }).first('react_luguo', 'react_leiren', 'react_woshou', 'react_xianhua', 'react_jidan')
    expect(a).toEqual({ react_luguo: 1, react_leiren: 0, react_woshou: 0, react_xianhua: 1, react_jidan: 1 })
  })

  it('imports boards with the members-only one hidden from guests, threads pinned/closed/pending, and counters from rows', async () => {
    const boards = await ctx.db.knex('boards').orderBy('id').select('id', 'parent_id', 'is_group', 'guest_visible', 'thread_count', 'post_count')
    expect(boards.map((b: Record<string, unknown>) => ({ ...b, is_group: Boolean(b.is_group), guest_visible: Boolean(b.guest_visible) }))).toEqual([
      { id: 1, parent_id: null, is_group: true, guest_visible: true, thread_count: 0, post_count: 0 },
      { id: 2, parent_id: 1, is_group: false, guest_visible: true, thread_count: 1, post_count: 2 },
      { id: 3, parent_id: 1, is_group: false, guest_visible: false, thread_count: 1, post_count: 1 },
      { id: 4, parent_id: 2, is_group: false, guest_visible: true, thread_count: 1, post_count: 2 }
    ])
    const threads = await ctx.db.knex('threads').orderBy('id').select('id', 'pinned', 'closed', 'status', 'views', 'reply_count')
    expect(threads.map((r: Record<string, unknown>) => ({ ...r, pinned: Boolean(r.pinned), closed: Boolean(r.closed) }))).toEqual([
      { id: 1, pinned: true, closed: false, status: 'visible', views: 100, reply_count: 1 },
      { id: 2, pinned: false, closed: true, status: 'visible', views: 5, reply_count: 0 },
      { id: 4, pinned: false, closed: false, status: 'pending', views: 0, reply_count: 0 },
      { id: 5, pinned: false, closed: false, status: 'visible', views: 7, reply_count: 1 }
    ])
    expect((await ctx.t.agent().get('/forum/2').expect(200)).text).toContain('置顶的主题')
    const guest = await ctx.t.agent().get('/thread/2')
    expect(guest.status).not.toBe(200)
    expect(guest.text).not.toContain('只有会员能看')
    expect(await ctx.db.knex('posts').orderBy('id').pluck('status')).toEqual(['visible', 'visible', 'deleted', 'visible', 'pending', 'visible', 'visible'])
  })

  it('converts BBCode to Markdown: nested quotes, malformed tags, unsafe links and HTML, attachments', async () => {
    const body = String((await ctx.db.knex('posts').where({ id: 1 }).first('body')).body)
    expect(body).toContain('**粗体** *斜体* 下划线 ~~删除线~~ 红字 大字')
    expect(body).toContain('> > 最里层的引用')
    expect(body).toContain('> 外层的引用')
    expect(body).toContain('[链接](https://example.com/a_b)')
    expect(body).not.toContain('javascript:')
    expect(body).toContain('```\nconst a = [1]; [b]不是粗体[/b]\n```')
    expect(body).toContain('- 甲\n- 乙')
    expect(body).toContain('\\[b\\]没有闭合 *标签*') // the parser closes the inner tag; no text is lost
    expect(body).toContain('![photo.png](/data/attachment/forum/202311/05/abc.png)')
    expect(body).toContain('- [说明.zip](/data/attachment/forum/202311/05/def.zip)')
    const page = await ctx.t.agent().get('/thread/1').expect(200)
    expect(page.text).toContain('<blockquote>')
    expect(page.text).toContain('# 不是标题 &lt;script&gt;')
    expect(page.text).not.toContain('<script>alert(1)')
  })

  it('copies attachments and serves them at their old URLs (pictures as pictures, the rest as downloads)', async () => {
    const res = await ctx.t.agent().get('/data/attachment/forum/202311/05/abc.png').expect(200)
    expect(res.headers['content-type']).toBe('image/png')
    expect(Buffer.compare(res.body as Buffer, PNG)).toBe(0)
    await ctx.t.agent().get('/data/attachment/forum/202311/05/def.zip').expect(404) // missing in the folder: listed
    await ctx.t.agent().get('/data/attachment/forum/..%2F..%2Fetc%2Fpasswd').expect(404)
    expect(step('forum-files')).toMatchObject({ read: 2, imported: 1, skipped: 1 })
    expect((await ctx.t.agent().get('/data/attachment/portal/202311/p.png').expect(200)).headers['content-type']).toBe('image/png')
    expect(step('portal-files')).toMatchObject({ read: 2, imported: 1, skipped: 1 })
  })

  it('imports the site name, ICP number, footer links and the word list', async () => {
    const settings = Object.fromEntries((await ctx.db.knex('settings').select('key', 'value')).map((r: { key: string, value: string }) => [r.key, r.value]))
    expect(settings.site_name).toBe('老论坛')
    expect(settings.site_icp).toBe('京ICP备12345678号')
    expect(JSON.parse(settings.footer_links ?? '[]')).toEqual([{ label: 'Archiver', url: '/archiver/' }, { label: '联系我们', url: '/misc.php?mod=contact' }])
    expect(await ctx.db.knex('word_filters').orderBy('id').select('word', 'action', 'replacement')).toEqual([
      { word: '傻瓜', action: 'block', replacement: '**' },
      { word: '代开发票', action: 'moderate', replacement: '**' },
      { word: '坏蛋', action: 'replace', replacement: '**' }
    ])
  })

  it('answers the old URLs with 301 to the imported pages, and unknown ones with a helpful 404', async () => {
    const agent = ctx.t.agent()
    const moved = async (url: string, to: string): Promise<void> => {
      const res = await agent.get(url)
      expect([url, res.status, res.headers.location]).toEqual([url, 301, to])
    }
    await moved('/portal.php?mod=view&aid=1&page=2', '/article/1?page=2')
    await moved('/article-1-2.html', '/article/1?page=2')
    await moved('/portal.php?mod=list&catid=2&page=3', '/category/2?page=3')
    await moved('/list-2-3.html', '/category/2?page=3')
    await moved('/list-2-1.html', '/category/2')
    await moved('/portal.php?mod=comment&id=1&idtype=aid', '/article/1#comments')
    await moved('/forum.php?mod=forumdisplay&fid=2&page=2', '/forum/2?page=2')
    await moved('/forum-2-1.html', '/forum/2')
    await moved('/forum.php?mod=viewthread&tid=1', '/thread/1')
    await moved('/thread-1-1-1.html', '/thread/1')
    await moved('/home.php?mod=space&uid=2', '/user/2')
    await moved('/space-uid-2.html', '/user/2')
    await moved('/space-username-alice.html', '/user/2')
    await moved(`/space-username-${encodeURIComponent('ａｌｉｃｅ_6')}.html`, '/user/6')
    await moved('/forum.php?mod=misc&action=showdarkroom', '/darkroom')
    const last = await agent.get('/forum.php?mod=redirect&tid=1&goto=lastpost')
    expect(last.status).toBe(302)
    const find = await agent.get('/forum.php?mod=redirect&goto=findpost&ptid=1&pid=2')
    expect([find.status, find.headers.location]).toEqual([302, '/thread/1#post-2'])
    for (const url of ['/group.php?mod=index', '/forum.php?mod=nosuch', '/space-username-nobody.html']) {
      const res = await agent.get(url)
      expect([url, res.status]).toEqual([url, 404])
      expect(res.text).toContain('旧论坛链接')
      expect(res.text).toContain('href="/search"')
    }
  })

  it('imports the posts of threads Discuz moved to a split table (forum_post_N by posttableid)', async () => {
    expect(await ctx.db.knex('posts').where({ thread_id: 5 }).orderBy('position').select('id', 'author_id', 'position', 'body')).toEqual([
      { id: 8, author_id: 5, position: 1, body: '分表里的**楼主**' },
      { id: 9, author_id: 2, position: 2, body: '分表里的回复' }
    ])
    const page = await ctx.t.agent().get('/thread/5').expect(200)
    expect(page.text).toContain('分表里的<strong>楼主</strong>')
    expect(page.text).toContain('分表里的回复')
  })

  it('imports 主题分类: each board\'s labels in Discuz\'s order, cut to our length, and each thread\'s label on its own board', async () => {
    const boards = await ctx.db.knex('boards').orderBy('id').select<Array<{ id: number, thread_types: string | null }>>('id', 'thread_types')
    expect(boards.map((b) => [b.id, b.thread_types === null ? null : JSON.parse(b.thread_types)])).toEqual([
      [1, null], [2, ['分享', '求助', '一个非常非常长的']], [3, ['公告']], [4, null]
    ])
    expect(await ctx.db.knex('threads').orderBy('id').select('id', 'type_label')).toEqual([
      { id: 1, type_label: '求助' }, { id: 2, type_label: '' }, { id: 4, type_label: '' }, { id: 5, type_label: '' }
    ])
    const issues = await ctx.db.knex('discuz_import_issues').whereIn('step', ['boards', 'threads']).select<Array<{ step: string, source_key: string, reason: string }>>('step', 'source_key', 'reason')
    expect(issues).toContainEqual({ step: 'boards', source_key: 'threadclass:3', reason: '主题分类“一个非常非常长的分类名称”超过 8 个字，改为“一个非常非常长的”' })
    expect(issues).toContainEqual({ step: 'threads', source_key: '2', reason: '主题分类 1 不是本版块的分类，导入为无分类' })
    const board = await ctx.t.agent().get('/forum/2').expect(200)
    expect(board.text).toContain('<em class="thread-type">[求助]</em>')
    const thread = await ctx.t.agent().get('/thread/1').expect(200)
    expect(thread.text).toContain('[求助]</em>')
    // The imported labels are the board's: a member opening a thread there picks one of them.
    const member = ctx.t.agent()
    const login = await member.get('/login').expect(200)
    await member.post('/login').type('form').send({ _csrf: csrfFrom(login.text), login: 'alice', password: passwords.alice }).expect(303)
    const form = await member.get('/forum/2/new').expect(200)
    expect(form.text).toContain('<option value="分享">分享</option><option value="求助">求助</option><option value="一个非常非常长的">一个非常非常长的</option>')
  })

  it('imports 版主 per board (an inherited grant too), leaving out groups and members not imported', async () => {
    expect(await ctx.db.knex('board_moderators').orderBy('board_id').select('board_id', 'user_id')).toEqual([
      { board_id: 2, user_id: 7 }, { board_id: 4, user_id: 7 }
    ])
    expect((await ctx.t.app.boardModerators.boardsOf(7)).sort()).toEqual([2, 4])
    expect((await ctx.t.app.boardModerators.listForBoards([2])).get(2)).toEqual(['mod'])
    expect(step('board-moderators')).toMatchObject({ read: 4, imported: 2, skipped: 2 })
    const issues = await ctx.db.knex('discuz_import_issues').where({ step: 'board-moderators' }).orderBy('source_key').select('source_key', 'kind', 'reason')
    expect(issues).toEqual([
      { source_key: '2:1', kind: 'skipped', reason: '分区 1 没有版主（请在其下的版块上设置）' },
      { source_key: '99:2', kind: 'skipped', reason: '版主 uid 99 未导入' }
    ])
    expect((await ctx.t.agent().get('/forum/4').expect(200)).text).toContain('版主: <a href="/user/7" class="notabs">mod</a>')
  })

  it('imports signatures as text with their links (Discuz HTML and BBCode), shown under the member\'s floors', async () => {
    const signatures = await ctx.db.knex('users').whereIn('id', [2, 3, 5]).orderBy('id').pluck('signature')
    expect(signatures).toEqual(['欢迎访问 我的博客 https://alice.example.com/\n第二行 & 更多', '', '粗体签名 https://dave.example.com'])
    expect(await ctx.t.app.signatures.get(2)).toBe(signatures[0])
    expect(step('signatures')).toMatchObject({ read: 3, imported: 2, skipped: 1 })
    const issues = await ctx.db.knex('discuz_import_issues').where({ step: 'signatures' }).orderBy('source_key').select('source_key', 'kind', 'reason')
    expect(issues).toEqual([
      { source_key: '2', kind: 'changed', reason: '签名中的 1 张图片未导入（签名只有文字）' },
      { source_key: '99', kind: 'skipped', reason: '会员 uid 99 未导入' }
    ])
    const page = await ctx.t.agent().get('/thread/1').expect(200)
    expect(page.text).toContain('<a href="https://alice.example.com/" rel="nofollow ugc noopener" target="_blank">https://alice.example.com/</a>')
    expect(page.text).toContain('第二行 &amp; 更多')
  })

  it('imports nothing twice when run again', async () => {
    const before = await snapshot(ctx.db.knex)
    const again = await importInto(ctx.db.knex, uploadsDir)
    expect(again.steps.every((s) => s.alreadyDone)).toBe(true)
    expect(await snapshot(ctx.db.knex)).toBe(before)
  })
})

describeWithSource.each(dialects)('import:discuz --dry-run and --resume into %s', (dialect) => {
  const dbs: TestDatabase[] = []
  const uploadsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-uploads-'))
  afterAll(async () => { for (const db of dbs) await db.destroy() })
  const fresh = async (): Promise<TestDatabase> => { const db = await createTestDatabase(dialect); dbs.push(db); return db }

  it('--dry-run reports the same counts and problems and writes nothing', async () => {
    const db = await fresh()
    const dry = await importInto(db.knex, uploadsDir, { dryRun: true })
    for (const table of ['users', 'articles', 'posts', 'bans', 'reactions', 'discuz_import_checkpoints', 'discuz_import_issues', 'word_filters']) {
      expect([table, Number((await db.knex(table).count({ n: '*' }).first())?.n)]).toEqual([table, 0])
    }
    expect(dry.steps.find((s) => s.step === 'posts')).toMatchObject({ read: 9, imported: 7, skipped: 2 })
    expect(dry.issues.some((i) => i.step === 'articles' && i.kind === 'skipped')).toBe(true)
  }, 60_000)

  it('the command: refuses without --from, dry-runs into an empty database, refuses a database with other content', async () => {
    const db = await fresh()
    const cli = (args: string[]): { status: number | null, stdout: string, stderr: string } => {
      const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/cli.ts'), 'import:discuz', ...args], {
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl(db), UPLOADS_DIR: uploadsDir }, encoding: 'utf8', timeout: 90_000
      })
      return { status: res.status, stdout: res.stdout, stderr: res.stderr }
    }
    expect(cli([]).status).toBe(2)
    const dry = cli(['--from', site.url, '--dry-run'])
    expect([dry.status, dry.stderr.slice(-300)]).toEqual([0, expect.any(String)])
    expect(dry.stdout).toMatch(/posts\s+9\s+7\s+2/)
    expect(dry.stdout).toContain('--dry-run：未写入任何数据')
    expect(Number((await db.knex('users').count({ n: '*' }).first())?.n)).toBe(0)
    await db.knex('categories').insert({ name: '已有频道', description: '', display_order: 0 })
    const refused = cli(['--from', site.url])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('import into an empty database')
  }, 120_000)

  it('--resume after an interruption mid-import ends with the same rows as an uninterrupted run', async () => {
    const whole = await fresh()
    await importInto(whole.knex, uploadsDir, { batch: 2 })
    const killed = await fresh()
    await expect(importInto(killed.knex, uploadsDir, { batch: 2, failAt: { step: 'posts', afterBatches: 2 } })).rejects.toBeInstanceOf(ImportInterrupted)
    // The batch in flight rolled back with its checkpoint: one committed batch of two posts is there.
    expect(Number((await killed.knex('posts').count({ n: '*' }).first())?.n)).toBe(2)
    const resumed = await importInto(killed.knex, uploadsDir, { batch: 2 })
    expect(resumed.steps.find((s) => s.step === 'members')?.alreadyDone).toBe(true)
    expect(resumed.steps.find((s) => s.step === 'posts')?.alreadyDone).toBe(false)
    expect(await snapshot(killed.knex)).toBe(await snapshot(whole.knex))
  }, 120_000)
})
