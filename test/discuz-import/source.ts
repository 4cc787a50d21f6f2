import crypto from 'node:crypto'
import bcrypt from 'bcrypt'
import knexFactory, { type Knex } from 'knex'
import { createDiscuzDatabase } from '../../scripts/discuz-fixture'
import { discuzMd5 } from '../../src/lib/discuz-password'
import { phpSerialize } from '../../src/lib/php-unserialize'

/**
 * The test's Discuz site on the MariaDB at TEST_MYSQL_URL, in a scratch database of its own (our
 * fixture DDL, scripts/discuz-fixture.ts): a handful of rows that exercise every rule of the importer.
 */

export const mysqlUrl = process.env.TEST_MYSQL_URL ?? ''
export const NOW = 1_764_000_000 // 2025-11-24: the import's and the test app's "now"
const DAY = 86400

export const passwords = {
  admin: 'admin-密码-1', // X3.5 bcrypt ($2y$, empty salt)
  alice: 'Пароль密码ü', // md5(md5(pw).salt), non-ASCII: hashed as UTF-8 bytes
  bob: 'bob-pass-123',
  dave: 'dave-pass-123'
}

export interface DiscuzSite { url: string, drop: () => Promise<void> }

export async function createDiscuzSite (): Promise<DiscuzSite> {
  const base = new URL(mysqlUrl)
  const adminUrl = new URL(base.toString())
  adminUrl.pathname = '/mysql'
  const admin = knexFactory({ client: 'mysql2', connection: adminUrl.toString(), pool: { min: 0, max: 1 } })
  const name = `discuz_src_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  const url = await createDiscuzDatabase(admin, base.toString(), name)
  const db = knexFactory({ client: 'mysql2', connection: { uri: url, charset: 'utf8mb4' } as never, pool: { min: 0, max: 1 } })
  try {
    await fill(db)
  } finally {
    await db.destroy()
  }
  return {
    url,
    drop: async () => {
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``)
      await admin.destroy()
    }
  }
}

const y2 = (pw: string): string => `$2y$${bcrypt.hashSync(pw, 4).slice(4)}`

async function fill (db: Knex): Promise<void> {
  const t = (n: string): string => `pre_${n}`
  const members = [
    { uid: 1, username: 'admin', email: 'admin@example.com', groupid: 1, adminid: 1, groupexpiry: 0, status: 0 },
    { uid: 2, username: 'alice', email: 'alice@example.com', groupid: 10, adminid: 0, groupexpiry: 0, status: 0 },
    { uid: 3, username: 'bob', email: 'bob@example.com', groupid: 4, adminid: 0, groupexpiry: 0, status: 0 }, // 禁止发言, for ever
    { uid: 4, username: 'carol', email: 'carol@example.com', groupid: 5, adminid: 0, groupexpiry: NOW - 5 * DAY, status: 0 }, // 禁止访问, expired
    { uid: 5, username: 'dave', email: 'ALICE@example.com', groupid: 10, adminid: 0, groupexpiry: 0, status: 0 }, // e-mail taken
    { uid: 6, username: 'ａｌｉｃｅ', email: 'alice2@example.com', groupid: 10, adminid: 0, groupexpiry: 0, status: 0 }, // = alice after NFKC
    { uid: 7, username: 'mod', email: 'mod@example.com', groupid: 3, adminid: 3, groupexpiry: 0, status: 0 },
    { uid: 8, username: 'erin', email: 'erin@example.com', groupid: 5, adminid: 0, groupexpiry: NOW + 30 * DAY, status: 0 } // 禁止访问 until later
  ]
  await db(t('common_member')).insert(members.map((m) => ({ ...m, password: crypto.randomBytes(16).toString('hex'), regdate: NOW - 100 * DAY + m.uid })))
  await db(t('ucenter_members')).insert([
    { uid: 1, username: 'admin', password: y2(passwords.admin), salt: '' },
    { uid: 2, username: 'alice', password: discuzMd5(passwords.alice, 'a1b2c3'), salt: 'a1b2c3' },
    { uid: 3, username: 'bob', password: discuzMd5(passwords.bob, 'zz9911'), salt: 'zz9911' },
    { uid: 4, username: 'carol', password: discuzMd5('carol-pass', 'qwerty'), salt: 'qwerty' },
    { uid: 5, username: 'dave', password: discuzMd5(passwords.dave, 'dd0000'), salt: 'dd0000' },
    { uid: 6, username: 'ａｌｉｃｅ', password: discuzMd5('x', 'abcdef'), salt: 'abcdef' },
    { uid: 7, username: 'mod', password: y2('mod-pass-123'), salt: '' }
    // uid 8 has no UCenter row: a password reset is needed (reported)
  ])
  await db(t('common_member_count')).insert(members.map((m) => ({ uid: m.uid, posts: 3 })))
  await db(t('common_member_status')).insert(members.map((m) => ({ uid: m.uid, lastvisit: NOW - DAY, lastpost: NOW - DAY })))
  await db(t('common_member_crime')).insert([
    { cid: 1, uid: 3, operatorid: 1, operator: 'admin', action: 4, reason: '灌水广告', dateline: NOW - 10 * DAY },
    { cid: 2, uid: 4, operatorid: 7, operator: 'mod', action: 5, reason: '辱骂他人', dateline: NOW - 20 * DAY },
    { cid: 3, uid: 5, operatorid: 7, operator: 'mod', action: 2, reason: '警告一次', dateline: NOW - 3 * DAY },
    { cid: 4, uid: 8, operatorid: 99, operator: 'gone', action: 5, reason: '发布违法信息', dateline: NOW - 2 * DAY }
  ])

  // Portal: 新闻 > 本地; article 1 has two pages, stored out of order (page 2 has the lower cid).
  await db(t('portal_category')).insert([
    { catid: 1, upid: 0, catname: '新闻', displayorder: 1, description: '' },
    { catid: 2, upid: 1, catname: '本地', displayorder: 2, description: '本地新闻' }
  ])
  const clicks = { click1: 1, click2: 1, click3: 2 } // slot 3 (鲜花) says 2 but only one member clicked it: drift
  await db(t('portal_article_title')).insert([
    { aid: 1, catid: 2, uid: 1, username: 'admin', title: '两页的文章', author: '原作者甲', from: '本地日报', fromurl: 'https://news.example.com/1', summary: '摘要 &amp; 简介', contents: 2, allowcomment: 1, dateline: NOW - 30 * DAY, status: 0, ...clicks },
    { aid: 2, catid: 1, uid: 7, username: 'mod', title: '待审核文章', contents: 1, allowcomment: 1, dateline: NOW - 20 * DAY, status: 1 },
    { aid: 3, catid: 1, uid: 99, username: 'gone', title: '作者已删除', contents: 1, allowcomment: 1, dateline: NOW - 20 * DAY, status: 0 }
  ])
  await db(t('portal_article_content')).insert([
    { cid: 1, aid: 1, title: '第二页标题', content: '<p>第二页的内容。</p><p><img src="data/attachment/portal/202311/p.png"></p>', pageorder: 2 },
    { cid: 2, aid: 1, title: '两页的文章', content: '<p>第一页的内容。</p>', pageorder: 1 },
    { cid: 3, aid: 2, title: '', content: '<p>等待审核。</p>', pageorder: 1 },
    { cid: 4, aid: 3, title: '', content: '<p>孤儿。</p>', pageorder: 1 }
  ])
  await db(t('portal_attachment')).insert([
    { attachid: 1, uid: 1, filename: 'p.png', attachment: '202311/p.png', isimage: 1, aid: 1 },
    { attachid: 2, uid: 1, filename: 'remote.png', attachment: '202311/r.png', isimage: 1, aid: 1, remote: 1 }
  ])
  await db(t('portal_article_count')).insert([{ aid: 1, catid: 2, viewnum: 42, commentnum: 1 }, { aid: 2, catid: 1, viewnum: 1, commentnum: 0 }])
  await db(t('portal_comment')).insert([
    { cid: 1, uid: 2, username: 'alice', id: 1, idtype: 'aid', postip: '203.0.113.5', dateline: NOW - 29 * DAY, status: 0, message: '写得好 &lt;b&gt;不是粗体&lt;/b&gt;' },
    { cid: 2, uid: 0, username: '路人甲', id: 1, idtype: 'aid', postip: '203.0.113.6', dateline: NOW - 28 * DAY, status: 1, message: '待审核的评论' },
    { cid: 3, uid: 2, username: 'alice', id: 3, idtype: 'aid', dateline: NOW - 28 * DAY, status: 0, message: '文章未导入' },
    { cid: 4, uid: 2, username: 'alice', id: 9, idtype: 'blogid', dateline: NOW - 28 * DAY, status: 0, message: '日志评论（不是文章）' }
  ])
  // The slot order on this site: 1 鸡蛋, 2 路过, 3 鲜花, 4 握手, 5 雷人 (not the default order).
  const slot = (clickid: number, name: string): Record<string, unknown> => ({ clickid, name, icon: `${clickid}.gif` })
  await db(t('common_syscache')).insert({
    cname: 'click',
    data: phpSerialize({ blogid: { 1: slot(1, '路过'), 2: slot(2, '雷人') }, aid: { 1: slot(15, '鸡蛋'), 2: slot(11, '路过'), 3: slot(14, '鲜花'), 4: slot(13, '握手'), 5: slot(12, '雷人') } })
  })
  await db(t('home_clickuser')).insert([
    { uid: 2, username: 'alice', id: 1, idtype: 'aid', clickid: 1, dateline: NOW - 29 * DAY }, // 鸡蛋
    { uid: 5, username: 'dave', id: 1, idtype: 'aid', clickid: 3, dateline: NOW - 29 * DAY }, // 鲜花
    { uid: 7, username: 'mod', id: 1, idtype: 'aid', clickid: 2, dateline: NOW - 29 * DAY }, // 路过
    { uid: 2, username: 'alice', id: 5, idtype: 'blogid', clickid: 1, dateline: NOW - 29 * DAY } // a blog's: not ours
  ])

  // Forum: 综合 > 灌水 (everyone) > 子版; 综合 > 会员区 (members only); a 群组 (status 3).
  await db(t('forum_forum')).insert([
    { fid: 1, fup: 0, type: 'group', name: '综合', status: 1, displayorder: 1 },
    { fid: 2, fup: 1, type: 'forum', name: '灌水', status: 1, displayorder: 1, threads: 2, posts: 3 },
    { fid: 3, fup: 1, type: 'forum', name: '会员区', status: 1, displayorder: 2, threads: 1, posts: 1 },
    { fid: 4, fup: 2, type: 'sub', name: '子版', status: 1, displayorder: 1, threads: 1, posts: 2 },
    { fid: 5, fup: 0, type: 'forum', name: '某群组', status: 3, displayorder: 1 }
  ])
  const field = (fid: number, viewperm: string): Record<string, unknown> => ({ fid, description: '', rules: '', moderators: '', viewperm, postperm: '', replyperm: '', threadtypes: '' })
  await db(t('forum_forumfield')).insert([field(1, ''), field(2, ''), field(3, '\t1\t2\t3\t10\t'), field(4, '\t7\t10\t'), field(5, '')])
  await db(t('forum_thread')).insert([
    { tid: 1, fid: 2, typeid: 1, authorid: 2, author: 'alice', subject: '置顶的主题', dateline: NOW - 9 * DAY, lastpost: NOW - 8 * DAY, lastposter: 'bob', views: 100, replies: 2, displayorder: 1, closed: 0, maxposition: 3 },
    { tid: 2, fid: 3, typeid: 1, authorid: 5, author: 'dave', subject: '会员区的主题', dateline: NOW - 7 * DAY, lastpost: NOW - 7 * DAY, lastposter: 'dave', views: 5, replies: 0, displayorder: 0, closed: 1, maxposition: 1 },
    { tid: 3, fid: 2, authorid: 2, author: 'alice', subject: '已移动', dateline: NOW - 6 * DAY, lastpost: NOW - 6 * DAY, lastposter: 'alice', views: 0, replies: 0, displayorder: 0, closed: 2, maxposition: 1 },
    { tid: 4, fid: 2, authorid: 3, author: 'bob', subject: '待审核的主题', dateline: NOW - 5 * DAY, lastpost: NOW - 5 * DAY, lastposter: 'bob', views: 0, replies: 0, displayorder: -2, closed: 0, maxposition: 1 },
    // Its posts were moved to the split table forum_post_1 (帖子分表).
    { tid: 5, fid: 4, authorid: 5, author: 'dave', subject: '分表里的主题', dateline: NOW - 4 * DAY, lastpost: NOW - 3 * DAY, lastposter: 'alice', views: 7, replies: 1, displayorder: 0, closed: 0, maxposition: 2, posttableid: 1 }
  ])
  await db(t('forum_post_1')).insert([
    { pid: 8, fid: 4, tid: 5, first: 1, authorid: 5, author: 'dave', dateline: NOW - 4 * DAY, message: '分表里的[b]楼主[/b]', invisible: 0, position: 1 },
    { pid: 9, fid: 4, tid: 5, first: 0, authorid: 2, author: 'alice', dateline: NOW - 3 * DAY, message: '分表里的回复', invisible: 0, position: 2 }
  ])
  // 主题分类: 灌水 has three (stored out of display order, one with HTML, one too long), 会员区 one; thread 2
  // points at 灌水's 求助 although it is in 会员区 (a thread moved between boards keeps its typeid in Discuz).
  await db(t('forum_threadclass')).insert([
    { typeid: 1, fid: 2, name: '求助', displayorder: 1 },
    { typeid: 2, fid: 2, name: '<font color="red">分享</font>', displayorder: 0 },
    { typeid: 3, fid: 2, name: '一个非常非常长的分类名称', displayorder: 2 },
    { typeid: 4, fid: 3, name: '公告', displayorder: 0 }
  ])
  // 版主: mod on 灌水 and (passed down, `inherited`) its 子版; a grant on the group 综合; one of a member not imported.
  await db(t('forum_moderator')).insert([
    { uid: 7, fid: 2, displayorder: 0, inherited: 0 },
    { uid: 7, fid: 4, displayorder: 0, inherited: 1 },
    { uid: 2, fid: 1, displayorder: 0, inherited: 0 },
    { uid: 99, fid: 2, displayorder: 0, inherited: 0 }
  ])
  // 签名: Discuz's HTML (a link, a picture, an entity), BBCode left as typed, an empty one, a member not imported.
  const fieldForum = (uid: number, sightml: string): Record<string, unknown> => ({ uid, medals: '', sightml, groupterms: '', groups: '' })
  await db(t('common_member_field_forum')).insert([
    fieldForum(2, '欢迎访问 <a href="https://alice.example.com/" target="_blank">我的博客</a><br />第二行 &amp; 更多<img src="static/image/sig.png" border="0" />'),
    fieldForum(3, ''),
    fieldForum(5, '[b]粗体签名[/b] [url]https://dave.example.com[/url]'),
    fieldForum(99, '已删除会员的签名')
  ])
  const message = '[b]粗体[/b] [i]斜体[/i] [u]下划线[/u] [s]删除线[/s] [color=red]红字[/color] [size=5]大字[/size]\n' +
    '[quote][quote]最里层的引用[/quote]外层的引用[/quote]\n[url=https://example.com/a_b]链接[/url] [url=javascript:alert(1)]坏链接[/url]\n' +
    '[img]https://example.com/x.png[/img]\n[code]const a = [1]; [b]不是粗体[/b][/code]\n[list][*]甲[*]乙[/list]\n[b]没有闭合 [i]标签[/b]\n[attach]1[/attach]\n# 不是标题 <script>alert(1)</script>'
  await db(t('forum_post')).insert([
    { pid: 1, fid: 2, tid: 1, first: 1, authorid: 2, author: 'alice', dateline: NOW - 9 * DAY, message, invisible: 0, position: 1, attachment: 1 },
    { pid: 2, fid: 2, tid: 1, first: 0, authorid: 3, author: 'bob', dateline: NOW - 8 * DAY, message: '回复一楼', invisible: 0, position: 2 },
    { pid: 3, fid: 2, tid: 1, first: 0, authorid: 5, author: 'dave', dateline: NOW - 8 * DAY + 60, message: '被删除的回复', invisible: -1, position: 3 },
    { pid: 4, fid: 3, tid: 2, first: 1, authorid: 5, author: 'dave', dateline: NOW - 7 * DAY, message: '只有会员能看', invisible: 0, position: 1 },
    { pid: 5, fid: 2, tid: 4, first: 1, authorid: 3, author: 'bob', dateline: NOW - 5 * DAY, message: '等待审核', invisible: -2, position: 1 },
    { pid: 6, fid: 2, tid: 3, first: 1, authorid: 2, author: 'alice', dateline: NOW - 6 * DAY, message: '移动前', invisible: 0, position: 1 },
    { pid: 7, fid: 2, tid: 1, first: 0, authorid: 0, author: '游客', dateline: NOW - 7 * DAY, message: '游客回复', invisible: 0, position: 4 }
  ])
  await db(t('forum_attachment')).insert([{ aid: 1, tid: 1, pid: 1, uid: 2, tableid: 1 }, { aid: 2, tid: 1, pid: 1, uid: 2, tableid: 1 }])
  await db(t('forum_attachment_1')).insert([
    { aid: 1, tid: 1, pid: 1, uid: 2, filename: 'photo.png', filesize: 68, attachment: '202311/05/abc.png', isimage: 1 },
    { aid: 2, tid: 1, pid: 1, uid: 2, filename: '说明.zip', filesize: 10, attachment: '202311/05/def.zip', isimage: 0 }
  ])

  await db(t('common_setting')).insert([
    { skey: 'bbname', svalue: '老论坛' }, { skey: 'icp', svalue: '京ICP备12345678号' }, { skey: 'siteurl', svalue: 'http://old.example.com/' }
  ])
  await db(t('common_nav')).insert([
    { id: 1, name: '首页', url: 'forum.php', available: 1, displayorder: 1, navtype: 0 },
    { id: 2, name: '联系我们', url: 'misc.php?mod=contact', available: 1, displayorder: 2, navtype: 1 },
    { id: 3, name: 'Archiver', url: 'archiver/', available: 1, displayorder: 1, navtype: 1 },
    { id: 4, name: '坏链接', url: 'javascript:alert(1)', available: 1, displayorder: 3, navtype: 1 },
    { id: 5, name: '关掉的', url: 'x.php', available: 0, displayorder: 4, navtype: 1 }
  ])
  await db(t('common_word')).insert([
    { id: 1, find: '傻瓜', replacement: '{BANNED}' },
    { id: 2, find: '代开发票', replacement: '{MOD}' },
    { id: 3, find: '坏蛋', replacement: '**' },
    { id: 4, find: '/fa+ke/i', replacement: '{BANNED}' }
  ])
}
