import type { Knex } from 'knex'

/**
 * A Discuz-shaped source database for import:discuz's tests and benchmark: our own DDL for just the
 * tables and columns the importer reads, written from the column lists in Discuz's public
 * documentation (see ../shared/reference/discuz-tables.md) — no Discuz code. MariaDB/MySQL only, as a
 * real Discuz is. `prefix` is the table prefix (`pre_`); UCenter's tables get `<prefix>ucenter_`.
 */

export function discuzDdl (prefix = 'pre_'): string[] {
  const t = (name: string): string => `\`${prefix}${name}\``
  const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'
  const attachmentTables = Array.from({ length: 10 }, (_, i) => `CREATE TABLE ${t(`forum_attachment_${i}`)} (
    aid mediumint unsigned NOT NULL, tid mediumint unsigned NOT NULL DEFAULT 0, pid int unsigned NOT NULL DEFAULT 0,
    uid mediumint unsigned NOT NULL DEFAULT 0, dateline int unsigned NOT NULL DEFAULT 0, filename varchar(255) NOT NULL DEFAULT '',
    filesize int unsigned NOT NULL DEFAULT 0, attachment varchar(255) NOT NULL DEFAULT '', remote tinyint(1) NOT NULL DEFAULT 0,
    description varchar(255) NOT NULL DEFAULT '', isimage tinyint(1) NOT NULL DEFAULT 0, width smallint unsigned NOT NULL DEFAULT 0,
    thumb tinyint(1) NOT NULL DEFAULT 0, PRIMARY KEY (aid), KEY tid (tid), KEY pid (pid)) ${opts}`)
  const postTable = (name: string): string => `CREATE TABLE ${t(name)} (
      pid int unsigned NOT NULL, fid mediumint unsigned NOT NULL DEFAULT 0, tid mediumint unsigned NOT NULL DEFAULT 0, first tinyint(1) NOT NULL DEFAULT 0,
      author varchar(15) NOT NULL DEFAULT '', authorid mediumint unsigned NOT NULL DEFAULT 0, subject varchar(80) NOT NULL DEFAULT '',
      dateline int unsigned NOT NULL DEFAULT 0, message mediumtext NOT NULL, useip varchar(15) NOT NULL DEFAULT '',
      invisible tinyint(1) NOT NULL DEFAULT 0, anonymous tinyint(1) NOT NULL DEFAULT 0, usesig tinyint(1) NOT NULL DEFAULT 0,
      htmlon tinyint(1) NOT NULL DEFAULT 0, bbcodeoff tinyint(1) NOT NULL DEFAULT 0, smileyoff tinyint(1) NOT NULL DEFAULT 0,
      attachment tinyint(1) NOT NULL DEFAULT 0, position int unsigned NOT NULL,
      PRIMARY KEY (tid, position), UNIQUE KEY pid (pid), KEY fid (fid)) ${opts}`
  return [
    `CREATE TABLE ${t('common_member')} (
      uid mediumint unsigned NOT NULL AUTO_INCREMENT, email char(40) NOT NULL DEFAULT '', username char(15) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
      password char(32) NOT NULL DEFAULT '', status tinyint(1) NOT NULL DEFAULT 0, adminid tinyint(1) NOT NULL DEFAULT 0,
      groupid smallint unsigned NOT NULL DEFAULT 0, groupexpiry int unsigned NOT NULL DEFAULT 0, regdate int unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (uid), UNIQUE KEY username (username), KEY email (email), KEY groupid (groupid)) ${opts}`,
    `CREATE TABLE ${t('ucenter_members')} (
      uid mediumint unsigned NOT NULL AUTO_INCREMENT, username char(15) COLLATE utf8mb4_bin NOT NULL DEFAULT '', password varchar(255) NOT NULL DEFAULT '',
      email char(32) NOT NULL DEFAULT '', regip char(15) NOT NULL DEFAULT '', regdate int unsigned NOT NULL DEFAULT 0,
      salt varchar(20) NOT NULL DEFAULT '', PRIMARY KEY (uid), UNIQUE KEY username (username)) ${opts}`,
    `CREATE TABLE ${t('common_member_status')} (
      uid mediumint unsigned NOT NULL, regip char(15) NOT NULL DEFAULT '', lastip char(15) NOT NULL DEFAULT '',
      lastvisit int unsigned NOT NULL DEFAULT 0, lastpost int unsigned NOT NULL DEFAULT 0, PRIMARY KEY (uid)) ${opts}`,
    `CREATE TABLE ${t('common_member_count')} (
      uid mediumint unsigned NOT NULL, posts mediumint unsigned NOT NULL DEFAULT 0, threads mediumint unsigned NOT NULL DEFAULT 0,
      extcredits1 int NOT NULL DEFAULT 0, PRIMARY KEY (uid)) ${opts}`,
    `CREATE TABLE ${t('common_member_crime')} (
      cid mediumint unsigned NOT NULL AUTO_INCREMENT, uid mediumint unsigned NOT NULL DEFAULT 0, operatorid mediumint unsigned NOT NULL DEFAULT 0,
      operator varchar(15) NOT NULL, action tinyint(5) NOT NULL, reason text NOT NULL, dateline int unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (cid), KEY uid (uid, action, dateline)) ${opts}`,
    `CREATE TABLE ${t('portal_category')} (
      catid mediumint unsigned NOT NULL AUTO_INCREMENT, upid mediumint unsigned NOT NULL DEFAULT 0, catname varchar(255) NOT NULL DEFAULT '',
      displayorder smallint NOT NULL DEFAULT 0, allowcomment tinyint(1) NOT NULL DEFAULT 1, closed tinyint(1) NOT NULL DEFAULT 0,
      description text NOT NULL, PRIMARY KEY (catid)) ${opts}`,
    `CREATE TABLE ${t('portal_article_title')} (
      aid mediumint unsigned NOT NULL AUTO_INCREMENT, catid mediumint unsigned NOT NULL DEFAULT 0, uid mediumint unsigned NOT NULL DEFAULT 0,
      username varchar(255) NOT NULL DEFAULT '', title varchar(255) NOT NULL DEFAULT '', author varchar(255) NOT NULL DEFAULT '',
      \`from\` varchar(255) NOT NULL DEFAULT '', fromurl varchar(255) NOT NULL DEFAULT '', summary varchar(255) NOT NULL DEFAULT '',
      pic varchar(255) NOT NULL DEFAULT '', contents smallint NOT NULL DEFAULT 0, allowcomment tinyint(1) NOT NULL DEFAULT 0,
      ${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `click${i} smallint unsigned NOT NULL DEFAULT 0`).join(', ')},
      dateline int unsigned NOT NULL DEFAULT 0, status tinyint(1) NOT NULL DEFAULT 0, PRIMARY KEY (aid), KEY catid (catid)) ${opts}`,
    `CREATE TABLE ${t('portal_article_content')} (
      cid int unsigned NOT NULL AUTO_INCREMENT, aid mediumint unsigned NOT NULL DEFAULT 0, id int unsigned NOT NULL DEFAULT 0,
      idtype varchar(255) NOT NULL DEFAULT '', title varchar(255) NOT NULL DEFAULT '', content mediumtext NOT NULL,
      pageorder smallint unsigned NOT NULL DEFAULT 0, dateline int unsigned NOT NULL DEFAULT 0, PRIMARY KEY (cid), KEY aid (aid, pageorder)) ${opts}`,
    `CREATE TABLE ${t('portal_article_count')} (
      aid mediumint unsigned NOT NULL, catid mediumint unsigned NOT NULL DEFAULT 0, viewnum mediumint unsigned NOT NULL DEFAULT 0,
      commentnum mediumint unsigned NOT NULL DEFAULT 0, favtimes mediumint unsigned NOT NULL DEFAULT 0, sharetimes mediumint unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (aid)) ${opts}`,
    `CREATE TABLE ${t('portal_attachment')} (
      attachid mediumint unsigned NOT NULL AUTO_INCREMENT, uid mediumint unsigned NOT NULL DEFAULT 0, dateline int unsigned NOT NULL DEFAULT 0,
      filename varchar(255) NOT NULL DEFAULT '', filetype varchar(255) NOT NULL DEFAULT '', filesize int unsigned NOT NULL DEFAULT 0,
      attachment varchar(255) NOT NULL DEFAULT '', isimage tinyint(1) NOT NULL DEFAULT 0, thumb tinyint unsigned NOT NULL DEFAULT 0,
      remote tinyint unsigned NOT NULL DEFAULT 0, aid mediumint unsigned NOT NULL DEFAULT 0, PRIMARY KEY (attachid), KEY aid (aid)) ${opts}`,
    `CREATE TABLE ${t('portal_comment')} (
      cid mediumint unsigned NOT NULL AUTO_INCREMENT, uid mediumint unsigned NOT NULL DEFAULT 0, username varchar(255) NOT NULL DEFAULT '',
      id mediumint unsigned NOT NULL DEFAULT 0, idtype varchar(20) NOT NULL DEFAULT '', postip varchar(255) NOT NULL DEFAULT '',
      dateline int unsigned NOT NULL DEFAULT 0, status tinyint(1) NOT NULL DEFAULT 0, message text NOT NULL,
      PRIMARY KEY (cid), KEY idtype (id, idtype, dateline)) ${opts}`,
    `CREATE TABLE ${t('home_click')} (
      clickid smallint unsigned NOT NULL AUTO_INCREMENT, name varchar(50) NOT NULL DEFAULT '', icon varchar(100) NOT NULL DEFAULT '',
      idtype varchar(15) NOT NULL DEFAULT '', available tinyint unsigned NOT NULL DEFAULT 0, displayorder tinyint unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (clickid)) ${opts}`,
    `CREATE TABLE ${t('home_clickuser')} (
      uid mediumint unsigned NOT NULL DEFAULT 0, username varchar(15) NOT NULL DEFAULT '', id mediumint unsigned NOT NULL DEFAULT 0,
      idtype varchar(15) NOT NULL DEFAULT '', clickid smallint unsigned NOT NULL DEFAULT 0, dateline int unsigned NOT NULL DEFAULT 0,
      KEY id (id, idtype, dateline), KEY uid (uid, idtype, dateline)) ${opts}`,
    `CREATE TABLE ${t('common_syscache')} (cname varchar(32) NOT NULL, ctype tinyint unsigned NOT NULL DEFAULT 0, dateline int unsigned NOT NULL DEFAULT 0,
      data mediumblob NOT NULL, PRIMARY KEY (cname)) ${opts}`,
    `CREATE TABLE ${t('forum_forum')} (
      fid mediumint unsigned NOT NULL AUTO_INCREMENT, fup mediumint unsigned NOT NULL DEFAULT 0, type enum('group','forum','sub') NOT NULL DEFAULT 'forum',
      name char(50) NOT NULL DEFAULT '', status tinyint(1) NOT NULL DEFAULT 0, displayorder smallint NOT NULL DEFAULT 0,
      threads mediumint unsigned NOT NULL DEFAULT 0, posts mediumint unsigned NOT NULL DEFAULT 0, todayposts mediumint unsigned NOT NULL DEFAULT 0,
      lastpost varchar(110) NOT NULL DEFAULT '', PRIMARY KEY (fid), KEY fup (fup)) ${opts}`,
    `CREATE TABLE ${t('forum_forumfield')} (
      fid mediumint unsigned NOT NULL DEFAULT 0, description text NOT NULL, rules text NOT NULL, moderators text NOT NULL,
      viewperm text NOT NULL, postperm text NOT NULL, replyperm text NOT NULL, threadtypes text NOT NULL, PRIMARY KEY (fid)) ${opts}`,
    `CREATE TABLE ${t('forum_thread')} (
      tid mediumint unsigned NOT NULL AUTO_INCREMENT, fid mediumint unsigned NOT NULL DEFAULT 0, typeid smallint unsigned NOT NULL DEFAULT 0,
      author char(15) NOT NULL DEFAULT '', authorid mediumint unsigned NOT NULL DEFAULT 0, subject char(80) NOT NULL DEFAULT '',
      dateline int unsigned NOT NULL DEFAULT 0, lastpost int unsigned NOT NULL DEFAULT 0, lastposter char(15) NOT NULL DEFAULT '',
      views int unsigned NOT NULL DEFAULT 0, replies mediumint unsigned NOT NULL DEFAULT 0, displayorder tinyint(1) NOT NULL DEFAULT 0,
      digest tinyint(1) NOT NULL DEFAULT 0, closed mediumint unsigned NOT NULL DEFAULT 0, attachment tinyint(1) NOT NULL DEFAULT 0,
      maxposition int unsigned NOT NULL DEFAULT 0, posttableid smallint unsigned NOT NULL DEFAULT 0,
      PRIMARY KEY (tid), KEY displayorder (fid, displayorder, lastpost)) ${opts}`,
    postTable('forum_post'),
    // Discuz's 帖子分表: a thread's posts in forum_post_<forum_thread.posttableid> once an admin splits the table.
    postTable('forum_post_1'),
    `CREATE TABLE ${t('forum_threadclass')} (
      typeid smallint unsigned NOT NULL AUTO_INCREMENT, fid mediumint unsigned NOT NULL DEFAULT 0, name varchar(255) NOT NULL DEFAULT '',
      displayorder mediumint NOT NULL DEFAULT 0, icon varchar(255) NOT NULL DEFAULT '', moderators tinyint(1) NOT NULL DEFAULT 0,
      PRIMARY KEY (typeid), KEY fid (fid, displayorder)) ${opts}`,
    `CREATE TABLE ${t('forum_moderator')} (
      uid mediumint unsigned NOT NULL DEFAULT 0, fid mediumint unsigned NOT NULL DEFAULT 0, displayorder tinyint NOT NULL DEFAULT 0,
      inherited tinyint(1) NOT NULL DEFAULT 0, PRIMARY KEY (uid, fid)) ${opts}`,
    `CREATE TABLE ${t('common_member_field_forum')} (
      uid mediumint unsigned NOT NULL, publishfeed tinyint NOT NULL DEFAULT 0, customshow tinyint unsigned NOT NULL DEFAULT 26,
      customstatus varchar(30) NOT NULL DEFAULT '', medals text NOT NULL, sightml text NOT NULL, groupterms text NOT NULL,
      authstr varchar(20) NOT NULL DEFAULT '', \`groups\` mediumtext NOT NULL, attentiongroup varchar(255) NOT NULL DEFAULT '',
      PRIMARY KEY (uid)) ${opts}`,
    `CREATE TABLE ${t('forum_attachment')} (
      aid mediumint unsigned NOT NULL AUTO_INCREMENT, tid mediumint unsigned NOT NULL DEFAULT 0, pid int unsigned NOT NULL DEFAULT 0,
      uid mediumint unsigned NOT NULL DEFAULT 0, tableid tinyint unsigned NOT NULL DEFAULT 0, downloads mediumint NOT NULL DEFAULT 0,
      PRIMARY KEY (aid), KEY tid (tid), KEY pid (pid)) ${opts}`,
    ...attachmentTables,
    `CREATE TABLE ${t('common_setting')} (skey varchar(255) NOT NULL DEFAULT '', svalue text NOT NULL, PRIMARY KEY (skey)) ${opts}`,
    `CREATE TABLE ${t('common_nav')} (
      id smallint unsigned NOT NULL AUTO_INCREMENT, parentid smallint unsigned NOT NULL DEFAULT 0, name varchar(255) NOT NULL,
      url varchar(255) NOT NULL, type tinyint(1) NOT NULL DEFAULT 0, available tinyint(1) NOT NULL DEFAULT 0,
      displayorder tinyint(3) NOT NULL, navtype tinyint(1) NOT NULL DEFAULT 0, PRIMARY KEY (id), KEY navtype (navtype)) ${opts}`,
    `CREATE TABLE ${t('common_word')} (
      id smallint unsigned NOT NULL AUTO_INCREMENT, admin varchar(15) NOT NULL DEFAULT '', type smallint NOT NULL DEFAULT 1,
      find varchar(255) NOT NULL DEFAULT '', replacement varchar(255) NOT NULL DEFAULT '', extra varchar(255) NOT NULL DEFAULT '',
      PRIMARY KEY (id)) ${opts}`
  ]
}

/** Creates a scratch database with the Discuz tables; returns its URL. */
export async function createDiscuzDatabase (admin: Knex, baseUrl: string, name: string, prefix = 'pre_'): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('bad database name')
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  const knexFactory = (await import('knex')).default
  const db = knexFactory({ client: 'mysql2', connection: { uri: url.toString(), charset: 'utf8mb4', multipleStatements: false } as never })
  try {
    for (const sql of discuzDdl(prefix)) await db.raw(sql)
  } finally {
    await db.destroy()
  }
  return url.toString()
}

export interface SyntheticSize { members: number, articles: number, threads: number, postsPerThread: number }

/**
 * Fills the Discuz tables with synthetic rows for the benchmark: members (md5+salt passwords),
 * articles of one page with comments and clicks, boards, threads and their posts (BBCode).
 */
export async function fillSyntheticDiscuz (db: Knex, size: SyntheticSize, prefix = 'pre_', onProgress?: (label: string, done: number, total: number) => void): Promise<void> {
  const t = (name: string): string => `${prefix}${name}`
  const base = 1_600_000_000
  const chunk = async (table: string, rows: Array<Record<string, unknown>>): Promise<void> => {
    for (let i = 0; i < rows.length; i += 1000) await db(t(table)).insert(rows.slice(i, i + 1000))
  }
  await db(t('common_syscache')).insert({ cname: 'click', data: 'a:1:{s:3:"aid";a:5:{i:1;a:2:{s:7:"clickid";i:15;s:4:"name";s:6:"鸡蛋";}i:2;a:2:{s:7:"clickid";i:11;s:4:"name";s:6:"路过";}i:3;a:2:{s:7:"clickid";i:14;s:4:"name";s:6:"鲜花";}i:4;a:2:{s:7:"clickid";i:13;s:4:"name";s:6:"握手";}i:5;a:2:{s:7:"clickid";i:12;s:4:"name";s:6:"雷人";}}}' })
  await db(t('common_setting')).insert([{ skey: 'bbname', svalue: '合成论坛' }, { skey: 'icp', svalue: '' }])
  for (let from = 1; from <= size.members; from += 5000) {
    const ids = Array.from({ length: Math.min(5000, size.members - from + 1) }, (_, i) => from + i)
    await chunk('common_member', ids.map((uid) => ({ uid, username: `user${uid}`, email: `user${uid}@example.com`, groupid: uid === 1 ? 1 : 10, adminid: uid === 1 ? 1 : 0, regdate: base + uid })))
    await chunk('ucenter_members', ids.map((uid) => ({ uid, username: `user${uid}`, password: '5f4dcc3b5aa765d61d8327deb882cf99', salt: 'abcdef', email: `user${uid}@example.com`, regdate: base + uid })))
    onProgress?.('members', Math.min(from + 4999, size.members), size.members)
  }
  await chunk('portal_category', [{ catid: 1, upid: 0, catname: '新闻', description: '' }])
  for (let from = 1; from <= size.articles; from += 1000) {
    const ids = Array.from({ length: Math.min(1000, size.articles - from + 1) }, (_, i) => from + i)
    await chunk('portal_article_title', ids.map((aid) => ({ aid, catid: 1, uid: 1 + (aid % size.members), title: `文章 ${aid}`, contents: 1, allowcomment: 1, dateline: base + aid, click1: 1 })))
    await chunk('portal_article_content', ids.map((aid) => ({ aid, content: `<p>第 ${aid} 篇文章的正文。</p>`, pageorder: 1, dateline: base + aid })))
    await chunk('portal_article_count', ids.map((aid) => ({ aid, catid: 1, viewnum: aid, commentnum: 1 })))
    await chunk('portal_comment', ids.map((aid) => ({ uid: 1 + ((aid + 1) % size.members), username: 'x', id: aid, idtype: 'aid', dateline: base + aid, status: 0, message: '好文章' })))
    await chunk('home_clickuser', ids.map((aid) => ({ uid: 1 + ((aid + 2) % size.members), id: aid, idtype: 'aid', clickid: 1, dateline: base + aid })))
  }
  await chunk('forum_forum', [{ fid: 1, fup: 0, type: 'group', name: '综合', status: 1 }, { fid: 2, fup: 1, type: 'forum', name: '灌水', status: 1 }])
  await chunk('forum_forumfield', [{ fid: 1, description: '', rules: '', moderators: '', viewperm: '', postperm: '', replyperm: '', threadtypes: '' }, { fid: 2, description: '', rules: '', moderators: '', viewperm: '', postperm: '', replyperm: '', threadtypes: '' }])
  let pid = 0
  const totalPosts = size.threads * size.postsPerThread
  for (let from = 1; from <= size.threads; from += 1000) {
    const tids = Array.from({ length: Math.min(1000, size.threads - from + 1) }, (_, i) => from + i)
    await chunk('forum_thread', tids.map((tid) => ({ tid, fid: 2, authorid: 1 + (tid % size.members), author: 'x', subject: `主题 ${tid}`, dateline: base + tid, lastpost: base + tid, views: tid % 100, replies: size.postsPerThread - 1, maxposition: size.postsPerThread })))
    const posts: Array<Record<string, unknown>> = []
    for (const tid of tids) {
      for (let position = 1; position <= size.postsPerThread; position++) {
        pid++
        posts.push({ pid, fid: 2, tid, first: position === 1 ? 1 : 0, authorid: 1 + ((tid + position) % size.members), author: 'x', dateline: base + pid, position,
          message: `[b]第 ${position} 楼[/b] 回复内容 [quote]引用 [i]上一楼[/i][/quote]\n[url=https://example.com/${pid}]链接[/url]` })
      }
    }
    await chunk('forum_post', posts)
    onProgress?.('posts', pid, totalPosts)
  }
}
