import type { Knex } from 'knex'
import { articleRenderColumns } from '../../../lib/article-render'
import { updateByIds } from '../../../db/bulk-update'
import { afterId, countOf, insertChunks, type Issue, type Step } from '../runner'

/** Discuz names may carry HTML (a coloured category name); ours are text. */
export const plainName = (s: string | null | undefined, max: number): string => (s ?? '').replace(/<[^>]*>/g, '').trim().slice(0, max)

/** Discuz stores comments and names HTML-escaped: back to the text that was typed. */
export function unescapeDiscuzText (s: string): string {
  return s.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|quot|#0?39|nbsp|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#039': "'", '#39': "'", nbsp: ' ', amp: '&' } as Record<string, string>)[e] ?? '')
}

interface CategoryRow { catid: number, upid: number, catname: string, displayorder: number, allowcomment: number, description: string | null }

/** portal_category, all at once (a site has tens of them): parents are set after every row exists. */
export const categoriesStep: Step<CategoryRow> = {
  name: 'categories',
  batch: 100000,
  count: async ({ src }) => await countOf(src.db(src.table('portal_category'))),
  read: async ({ src }, after, limit) => await src.db(src.table('portal_category')).where('catid', '>', afterId(after)).orderBy('catid').limit(limit)
    .select('catid', 'upid', 'catname', 'displayorder', 'allowcomment', 'description'),
  keyOf: (r) => String(r.catid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    for (const r of rows) ctx.ids.categories.add(r.catid)
    const parents: Array<{ id: number, parent: number }> = []
    for (const r of rows) {
      if (Number(r.upid) === 0) continue
      if (ctx.ids.categories.has(Number(r.upid))) parents.push({ id: r.catid, parent: Number(r.upid) })
      else issues.push({ key: String(r.catid), kind: 'changed', reason: `上级频道 ${r.upid} 不存在，改为顶级频道` })
    }
    const rowsOut = rows.map((r) => ({
      id: r.catid, parent_id: null, name: plainName(r.catname, 64) || `频道 ${r.catid}`, description: plainName(r.description, 255),
      display_order: Number(r.displayorder), allow_comments: Number(r.allowcomment) !== 0
    }))
    return {
      imported: rows.length,
      issues,
      write: async (trx) => {
        await insertChunks(trx, 'categories', rowsOut)
        await updateByIds(trx, 'categories', parents.map((p) => ({ id: p.id, values: { parent_id: p.parent } })))
      }
    }
  }
}

interface ArticleRow {
  aid: number, catid: number, uid: number, title: string, author: string | null, from: string | null, fromurl: string | null, summary: string | null
  allowcomment: number, dateline: number, status: number, viewnum: number | null
}
interface PageRow { aid: number, title: string | null, content: string | null, pageorder: number }

const ARTICLE_STATUS: Readonly<Record<number, string>> = { 0: 'published', 1: 'pending', 2: 'hidden' }

/** Discuz writes its own pictures as paths relative to the site root; ours need the leading slash. */
export function rootRelativeAttachments (html: string): string {
  return html.replace(/(\s(?:src|href)\s*=\s*["']?)(data\/attachment\/)/gi, '$1/$2')
}

function escapeHeading (s: string): string {
  return s.replace(/[\\`*_[\]<#]/g, (c) => c === '<' ? '&lt;' : `\\${c}`)
}

/** An article's pages, in pageorder, as one body with our page-break lines (each page titled when Discuz titled it). */
export function articleBody (title: string, pages: PageRow[]): string {
  return pages.map((p) => {
    const heading = (p.title ?? '').trim()
    const html = rootRelativeAttachments(String(p.content ?? '')).trim()
    return heading !== '' && heading !== title ? `## ${escapeHeading(heading)}\n\n${html}` : html
  }).join('\n\n<!-- 分页 -->\n\n')
}

export const articlesStep: Step<ArticleRow> = {
  name: 'articles',
  batch: 500,
  count: async ({ src }) => await countOf(src.db(src.table('portal_article_title'))),
  read: async ({ src }, after, limit) => await src.db(`${src.table('portal_article_title')} as t`)
    .leftJoin(`${src.table('portal_article_count')} as c`, 'c.aid', 't.aid')
    .where('t.aid', '>', afterId(after)).orderBy('t.aid').limit(limit)
    .select('t.aid', 't.catid', 't.uid', 't.title', 't.author', 't.from', 't.fromurl', 't.summary', 't.allowcomment', 't.dateline', 't.status', 'c.viewnum'),
  keyOf: (r) => String(r.aid),
  async map (ctx, rows) {
    const pages = await ctx.src.db(ctx.src.table('portal_article_content')).whereIn('aid', rows.map((r) => r.aid))
      .orderBy([{ column: 'aid' }, { column: 'pageorder' }, { column: 'cid' }]).select<PageRow[]>('aid', 'title', 'content', 'pageorder')
    const byArticle = new Map<number, PageRow[]>()
    for (const p of pages) byArticle.set(p.aid, [...(byArticle.get(p.aid) ?? []), p])
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    for (const r of rows) {
      const key = String(r.aid)
      if (!ctx.ids.categories.has(Number(r.catid))) { issues.push({ key, kind: 'skipped', reason: `频道 ${r.catid} 不存在` }); continue }
      if (!ctx.ids.users.has(Number(r.uid))) { issues.push({ key, kind: 'skipped', reason: `作者 uid ${r.uid} 未导入` }); continue }
      const status = ARTICLE_STATUS[Number(r.status)]
      if (status === undefined) { issues.push({ key, kind: 'skipped', reason: `未知的文章状态 ${r.status}` }); continue }
      const title = plainName(r.title, 191)
      const articlePages = byArticle.get(r.aid) ?? []
      if (articlePages.length === 0) issues.push({ key, kind: 'changed', reason: '文章没有内容页，导入为空文章' })
      const body = articleBody(title, articlePages)
      const sourceUrl = String(r.fromurl ?? '').trim()
      ctx.ids.articles.add(r.aid)
      out.push({
        id: r.aid, category_id: Number(r.catid), author_id: Number(r.uid), title: title || `文章 ${r.aid}`,
        summary: unescapeDiscuzText(String(r.summary ?? '')).trim(), source_name: plainName(r.from, 64),
        source_url: /^https?:\/\//i.test(sourceUrl) && sourceUrl.length <= 255 ? sourceUrl : '',
        original_author: plainName(r.author, 64), body, ...articleRenderColumns(body), status,
        allow_comments: Number(r.allowcomment) !== 0, published_at: Number(r.dateline), updated_at: Number(r.dateline),
        views: Number(r.viewnum ?? 0)
      })
    }
    return { imported: out.length, issues, write: async (trx) => { await insertChunks(trx, 'articles', out, 50) } }
  }
}

interface CommentRow { cid: number, id: number, uid: number, username: string | null, dateline: number, status: number, message: string | null }

export const commentsStep: Step<CommentRow> = {
  name: 'comments',
  count: async ({ src }) => await countOf(src.db(src.table('portal_comment')).where('idtype', 'aid')),
  read: async ({ src }, after, limit) => await src.db(src.table('portal_comment')).where('idtype', 'aid').where('cid', '>', afterId(after))
    .orderBy('cid').limit(limit).select('cid', 'id', 'uid', 'username', 'dateline', 'status', 'message'),
  keyOf: (r) => String(r.cid),
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    for (const r of rows) {
      const key = String(r.cid)
      if (!ctx.ids.articles.has(Number(r.id))) { issues.push({ key, kind: 'skipped', reason: `文章 ${r.id} 未导入` }); continue }
      const status = Number(r.status) === 0 ? 'visible' : Number(r.status) === 1 ? 'pending' : null
      if (status === null) { issues.push({ key, kind: 'skipped', reason: `未知的评论状态 ${r.status}` }); continue }
      const body = unescapeDiscuzText(String(r.message ?? '')).trim()
      if (body === '') { issues.push({ key, kind: 'skipped', reason: '评论内容为空' }); continue }
      const member = Number(r.uid) !== 0 && ctx.ids.users.has(Number(r.uid))
      if (Number(r.uid) !== 0 && !member) issues.push({ key, kind: 'changed', reason: `评论者 uid ${r.uid} 未导入，记为游客` })
      out.push({
        id: r.cid, article_id: Number(r.id), author_id: member ? Number(r.uid) : null,
        guest_name: member ? '' : plainName(r.username, 32), ip_hash: '', ip: null, status, body, created_at: Number(r.dateline)
      })
    }
    return { imported: out.length, issues, write: async (trx) => { await insertChunks(trx, 'comments', out) } }
  }
}

interface ClickUserRow { id: number, uid: number, clickid: number, dateline: number }

/** home_clickuser: one row per member and article; `clickid` is the slot (1–8), mapped by name (ctx.clickSlots). */
export const reactionsStep: Step<ClickUserRow> = {
  name: 'reactions',
  count: async ({ src }) => await countOf(src.db(src.table('home_clickuser')).where('idtype', 'aid')),
  read: async ({ src }, after, limit) => {
    const [id, uid] = after === '' ? [0, 0] : after.split(':').map(Number)
    return await src.db(src.table('home_clickuser')).where('idtype', 'aid')
      .where((q) => { void q.where('id', '>', id ?? 0).orWhere((q2) => { void q2.where('id', id ?? 0).andWhere('uid', '>', uid ?? 0) }) })
      .orderBy([{ column: 'id' }, { column: 'uid' }]).limit(limit).select('id', 'uid', 'clickid', 'dateline')
  },
  keyOf: (r) => `${r.id}:${r.uid}`,
  async map (ctx, rows) {
    const issues: Issue[] = []
    const out: Array<Record<string, unknown>> = []
    const seen = new Set<string>()
    for (const r of rows) {
      const key = `${r.id}:${r.uid}`
      const kind = ctx.clickSlots?.bySlot.get(Number(r.clickid))
      if (kind === undefined) { issues.push({ key, kind: 'skipped', reason: `表态位置 ${r.clickid} 不对应任何表态` }); continue }
      if (!ctx.ids.articles.has(Number(r.id))) { issues.push({ key, kind: 'skipped', reason: `文章 ${r.id} 未导入` }); continue }
      if (!ctx.ids.users.has(Number(r.uid))) { issues.push({ key, kind: 'skipped', reason: `会员 uid ${r.uid} 未导入` }); continue }
      if (seen.has(`${r.id}:${r.uid}`)) continue
      seen.add(`${r.id}:${r.uid}`)
      out.push({ article_id: Number(r.id), user_id: Number(r.uid), kind, created_at: Number(r.dateline) })
    }
    return { imported: out.length, issues, write: async (trx: Knex.Transaction) => { for (let i = 0; i < out.length; i += 400) await trx('reactions').insert(out.slice(i, i + 400)).onConflict(['article_id', 'user_id']).ignore() } }
  }
}
