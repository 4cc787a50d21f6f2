import type { Knex } from 'knex'
import { can, type AuthUser, type EditorGrants } from '../../lib/permissions'
import { articleFormMessages, checkArticleForm, isArticleStatus, type ArticleFormErrors, type ArticleFormInput, type ArticleFormValues, type ArticleStatus } from '../../lib/article-form'
import { forbidden, notFound, badRequest } from '../../lib/http-errors'
import { articleColumns, renderStoredArticle, withImageSizes } from '../../lib/article-render'
import { imageSizesFor, type ImageSizeLookup, type ImageSizes } from '../../lib/markdown'
import { lineDiff, type DiffPart } from '../../lib/text-diff'
import { publishingRepository, type EditableArticleRow, type ManageRow, type RevisionRow } from './publishing-repository'
import type { Category, CategoryTree } from './service'
import type { SearchIndex } from '../search'
import { withSearchIndex } from './search-documents'
import type { SiteTimeZone } from '../../lib/time-zone'

/**
 * 发布文章 and 文章管理: the rules of writing, saving, revising and bulk-changing articles. The portal
 * owns the articles table, so this lives in the portal feature beside the readers' service and is
 * shared as `app.publishing`. No Fastify types here: routes hand in the member, their grants and now.
 */

export const publishingMessages = {
  noRights: '抱歉，您没有发布文章的权限：只有被授予分类权限的编辑和管理员可以发布文章',
  articleNotFound: '抱歉，您指定要查看的文章不存在或正在审核',
  editDenied: '抱歉，您没有编辑此文章的权限',
  conflict: '此文章已被他人修改',
  revisionNotFound: '抱歉，您指定的版本不存在',
  bulkNothing: '请先选择文章',
  bulkBadAction: '请选择要进行的操作',
  bulkDenied: '所选文章中有您无权管理的文章，未做任何修改',
  bulkTargetDenied: '您没有在目标分类发布文章的权限'
} as const

/** What the audit log takes (the moderation log's entry shape); handed in, since the log belongs to another feature. */
export interface ArticleAuditEntry {
  actorId: number
  action: string
  targetType: 'article'
  targetId: number
  targetUserId?: number | null
  before?: unknown
  after?: unknown
  requestId?: string
  at: number
}
export type ArticleAudit = (entry: ArticleAuditEntry, trx: Knex.Transaction) => Promise<void>

export interface PublishingDeps {
  db: Knex
  /** The live site zone: what a typed 发布时间 means. */
  timeZone: SiteTimeZone
  categoryTree: () => Promise<CategoryTree>
  /** Records one audited change in the caller's transaction. */
  audit: ArticleAudit
  /** The search index (app.search.index), changed with every article write; absent in the CLI. */
  searchIndex?: SearchIndex
  /** Stored pictures' sizes (app.uploads.imageSizes), written into the body's <img>; absent in the CLI. */
  imageSizes?: ImageSizeLookup
}

export interface Actor { user: AuthUser, grants: EditorGrants, now: number, requestId?: string }

export type SaveResult =
  | { kind: 'saved', id: number, status: ArticleStatus, publishedAt: number }
  | { kind: 'invalid', errors: ArticleFormErrors }
  | { kind: 'conflict', current: EditableArticleRow, titleDiff: DiffPart[], bodyDiff: DiffPart[], editorName: string | null }

export const MANAGE_PAGE_SIZE = 20
export const BULK_ACTIONS = ['publish', 'hide', 'move'] as const
export type BulkAction = typeof BULK_ACTIONS[number]

/** A category as the form's select shows it: indented under its parent. */
export interface CategoryChoice { id: number, name: string, depth: number }

function flatten (cats: readonly Category[], depth = 0, out: CategoryChoice[] = []): CategoryChoice[] {
  for (const c of cats) {
    out.push({ id: c.id, name: c.name, depth })
    flatten(c.children, depth + 1, out)
  }
  return out
}

function isDuplicate (err: unknown): boolean {
  return /UNIQUE constraint|ER_DUP_ENTRY|Duplicate entry/i.test(String((err as { code?: string, message?: string })?.message ?? err) + String((err as { code?: string })?.code ?? ''))
}

function articleRef (a: Pick<EditableArticleRow, 'author_id' | 'category_id' | 'status'>): { authorId: number, categoryId: number, status: string } {
  return { authorId: Number(a.author_id), categoryId: Number(a.category_id), status: a.status }
}

function storedFields (v: ArticleFormValues, actor: Actor, sizes: ImageSizes): Record<string, unknown> {
  return {
    category_id: v.categoryId,
    title: v.title,
    summary: v.summary,
    source_name: v.sourceName,
    source_url: v.sourceUrl,
    original_author: v.originalAuthor,
    body: v.body,
    // Pages, cover picture and renderer version, as every article write stores them (lib/article-render.ts).
    ...articleColumns(withImageSizes(v.rendered, sizes)),
    status: v.status,
    allow_comments: v.allowComments,
    published_at: v.publishedAt,
    updated_at: actor.now,
    edited_by: actor.user.id
  }
}

export function publishingService (deps: PublishingDeps) {
  const { db } = deps
  const repo = withSearchIndex(publishingRepository(db), deps.searchIndex)

  const mayEdit = (actor: Actor, a: EditableArticleRow): boolean =>
    can(actor.user, { action: 'edit-article', article: articleRef(a), grants: actor.grants }, actor.now)

  /** The article if this member may edit it; a 404 otherwise for unpublished ones (nobody else sees them), a 403 for published ones. */
  async function editable (actor: Actor, id: number): Promise<EditableArticleRow> {
    const article = await repo.findAny(id)
    if (article === null) throw notFound(publishingMessages.articleNotFound)
    if (!mayEdit(actor, article)) {
      throw article.status === 'published' ? forbidden(publishingMessages.editDenied) : notFound(publishingMessages.articleNotFound)
    }
    return article
  }

  /** The form's checks plus the ones that need the member's rights (the category). */
  async function check (actor: Actor, input: ArticleFormInput): Promise<{ ok: true, values: ArticleFormValues } | { ok: false, errors: ArticleFormErrors }> {
    const result = checkArticleForm(input, { now: actor.now, timeZone: await deps.timeZone() })
    const categoryId = Number(input.categoryId)
    const categoryDenied = Number.isInteger(categoryId) && categoryId > 0 && !can(actor.user, { action: 'publish', categoryId, grants: actor.grants }, actor.now)
    if (!result.ok) return categoryDenied ? { ok: false, errors: { ...result.errors, categoryId: result.errors.categoryId ?? articleFormMessages.categoryDenied } } : result
    if (categoryDenied) return { ok: false, errors: { categoryId: articleFormMessages.categoryDenied } }
    return result
  }

  async function checkCategoryExists (values: ArticleFormValues): Promise<ArticleFormErrors | null> {
    return (await deps.categoryTree()).get(values.categoryId) === null ? { categoryId: articleFormMessages.categoryMissing } : null
  }

  /** The conflict answer: what changed between the version the member opened and the current one. */
  async function conflictOf (id: number, openedVersion: number): Promise<SaveResult> {
    const current = await repo.findAny(id)
    if (current === null) throw notFound(publishingMessages.articleNotFound)
    const opened = await repo.revision(id, openedVersion)
    return {
      kind: 'conflict',
      current,
      titleDiff: lineDiff(opened?.title ?? '', current.title),
      bodyDiff: lineDiff(opened?.body ?? '', current.body),
      editorName: await repo.userName(current.edited_by ?? current.author_id)
    }
  }

  /** Keeps the version a save replaces (who wrote it, when), in the save's transaction. */
  async function keepRevision (trx: Knex.Transaction, a: Pick<EditableArticleRow, 'id' | 'version' | 'title' | 'summary' | 'body' | 'edited_by' | 'author_id' | 'updated_at'>): Promise<void> {
    await repo.insertRevision(trx, {
      article_id: a.id, version: Number(a.version), title: a.title, summary: a.summary, body: a.body,
      editor_id: a.edited_by ?? a.author_id, created_at: Number(a.updated_at)
    })
  }

  /**
   * Saves `values` over the article if it is still at `openedVersion`: the replaced version becomes a
   * revision, the row moves to the next version in one conditional UPDATE. A save over a newer version
   * is refused with the other's changes; nothing is overwritten.
   */
  async function saveOver (actor: Actor, id: number, openedVersion: number, values: ArticleFormValues, action: string): Promise<SaveResult> {
    // Read before the transaction: the uploads table is not one this save locks.
    const sizes = await imageSizesFor(values.body, deps.imageSizes)
    try {
      const outcome = await db.transaction(async (trx) => {
        const current = await repo.findAny(id, trx, true)
        if (current === null) throw notFound(publishingMessages.articleNotFound)
        if (!mayEdit(actor, current)) throw forbidden(publishingMessages.editDenied)
        if (Number(current.version) !== openedVersion) return 'conflict' as const
        if (!await repo.updateIfVersion(trx, id, openedVersion, storedFields(values, actor, sizes))) return 'conflict' as const
        await keepRevision(trx, current)
        if (current.status !== values.status || Number(current.category_id) !== values.categoryId) {
          await deps.audit({
            actorId: actor.user.id, action, targetType: 'article', targetId: id, targetUserId: Number(current.author_id),
            before: { status: current.status, categoryId: Number(current.category_id) }, after: { status: values.status, categoryId: values.categoryId },
            requestId: actor.requestId, at: actor.now
          }, trx)
        }
        return 'saved' as const
      })
      if (outcome === 'conflict') return await conflictOf(id, openedVersion)
      return { kind: 'saved', id, status: values.status, publishedAt: values.publishedAt }
    } catch (err) {
      // The revision of this version stored by a save that committed meanwhile (no row lock on SQLite reads).
      if (isDuplicate(err)) return await conflictOf(id, openedVersion)
      throw err
    }
  }

  return {
    grantsOf: async (userId: number): Promise<Set<number>> => await repo.grantsOf(userId),
    /** A category's right to publish for a member (false: already held); `trx` when it commits with the caller's change. */
    grant: async (userId: number, categoryId: number, now: number, trx?: Knex.Transaction): Promise<boolean> =>
      await (trx === undefined ? repo : publishingRepository(trx)).grant(userId, categoryId, now),
    revoke: async (userId: number, categoryId: number, trx?: Knex.Transaction): Promise<boolean> =>
      await (trx === undefined ? repo : publishingRepository(trx)).revoke(userId, categoryId),

    /** The categories this member may publish in, as the select lists them (tree order, indented). */
    async categoryChoices (actor: Actor): Promise<CategoryChoice[]> {
      const all = flatten((await deps.categoryTree()).roots)
      return all.filter((c) => can(actor.user, { action: 'publish', categoryId: c.id, grants: actor.grants }, actor.now))
    },

    async allCategories (): Promise<CategoryChoice[]> {
      return flatten((await deps.categoryTree()).roots)
    },

    editable,

    async create (actor: Actor, input: ArticleFormInput): Promise<SaveResult> {
      const checked = await check(actor, input)
      if (!checked.ok) return { kind: 'invalid', errors: checked.errors }
      const missing = await checkCategoryExists(checked.values)
      if (missing !== null) return { kind: 'invalid', errors: missing }
      const v = checked.values
      const sizes = await imageSizesFor(v.body, deps.imageSizes)
      const id = await db.transaction(async (trx) => await repo.insertArticle(trx, {
        ...storedFields(v, actor, sizes), author_id: actor.user.id, version: 1, views: 0, comment_count: 0
      }))
      return { kind: 'saved', id, status: v.status, publishedAt: v.publishedAt }
    },

    async update (actor: Actor, id: number, openedVersion: number, input: ArticleFormInput): Promise<SaveResult> {
      await editable(actor, id)
      const checked = await check(actor, input)
      if (!checked.ok) return { kind: 'invalid', errors: checked.errors }
      const missing = await checkCategoryExists(checked.values)
      if (missing !== null) return { kind: 'invalid', errors: missing }
      return await saveOver(actor, id, openedVersion, checked.values, 'article_edit')
    },

    /** Restores an older version's title, 摘要 and body as a new version (the current one is kept as a revision). */
    async restore (actor: Actor, id: number, version: number, openedVersion: number): Promise<SaveResult> {
      const current = await editable(actor, id)
      const old = await repo.revision(id, version)
      if (old === null) throw notFound(publishingMessages.revisionNotFound)
      const values: ArticleFormValues = {
        title: old.title,
        categoryId: Number(current.category_id),
        summary: old.summary,
        sourceName: current.source_name,
        sourceUrl: current.source_url,
        originalAuthor: current.original_author,
        body: old.body,
        rendered: renderStoredArticle(old.body),
        allowComments: Boolean(current.allow_comments),
        status: isArticleStatus(current.status) ? current.status : 'draft',
        publishedAt: Number(current.published_at)
      }
      return await saveOver(actor, id, openedVersion, values, 'article_restore')
    },

    async revisions (actor: Actor, id: number): Promise<{ article: EditableArticleRow, revisions: RevisionRow[], editorName: string | null }> {
      const article = await editable(actor, id)
      return { article, revisions: await repo.revisions(id), editorName: await repo.userName(article.edited_by ?? article.author_id) }
    },

    /** One older version and what changed from it to the current one. */
    async revisionDiff (actor: Actor, id: number, version: number): Promise<{ article: EditableArticleRow, revision: RevisionRow, titleDiff: DiffPart[], summaryDiff: DiffPart[], bodyDiff: DiffPart[] }> {
      const article = await editable(actor, id)
      const revision = await repo.revision(id, version)
      if (revision === null) throw notFound(publishingMessages.revisionNotFound)
      return {
        article,
        revision,
        titleDiff: lineDiff(revision.title, article.title),
        summaryDiff: lineDiff(revision.summary, article.summary),
        bodyDiff: lineDiff(revision.body, article.body)
      }
    },

    /** 文章管理: admins see every article; others their categories' and their own. Keyset by id. */
    async manage (actor: Actor, filter: { categoryId?: number, status?: string, authorName?: string, title?: string, beforeId?: number }): Promise<{ rows: ManageRow[], nextBefore: number | null }> {
      const scope = actor.user.role === 'admin' ? null : { categoryIds: [...actor.grants], authorId: actor.user.id }
      const rows = await repo.manageList({
        scope,
        categoryId: filter.categoryId,
        status: filter.status !== undefined && isArticleStatus(filter.status) ? filter.status : undefined,
        authorName: filter.authorName,
        titleLike: filter.title,
        beforeId: filter.beforeId,
        limit: MANAGE_PAGE_SIZE + 1
      })
      const more = rows.length > MANAGE_PAGE_SIZE
      const page = rows.slice(0, MANAGE_PAGE_SIZE)
      const last = page[page.length - 1]
      return { rows: page, nextBefore: more && last !== undefined ? Number(last.id) : null }
    },

    /**
     * Bulk 发布 / 隐藏 (the soft delete: comments and reactions stay) / 移动 in one transaction: every
     * selected article must be one the member may edit (and the target one they may publish in), or
     * nothing changes. Each changed article keeps its replaced version and gets an audit row.
     */
    async bulk (actor: Actor, ids: readonly number[], action: string, targetCategoryId: number | null): Promise<number> {
      const unique = [...new Set(ids)].filter((n) => Number.isInteger(n) && n > 0).slice(0, 200)
      if (unique.length === 0) throw badRequest(publishingMessages.bulkNothing)
      if (!(BULK_ACTIONS as readonly string[]).includes(action)) throw badRequest(publishingMessages.bulkBadAction)
      if (action === 'move') {
        if (targetCategoryId === null || (await deps.categoryTree()).get(targetCategoryId) === null) throw badRequest('请选择目标分类')
        if (!can(actor.user, { action: 'publish', categoryId: targetCategoryId, grants: actor.grants }, actor.now)) throw forbidden(publishingMessages.bulkTargetDenied)
      }
      return await db.transaction(async (trx) => {
        const rows: EditableArticleRow[] = []
        for (const id of unique.sort((a, b) => a - b)) {
          const row = await repo.findAny(id, trx, true)
          if (row === null || !mayEdit(actor, row)) throw forbidden(publishingMessages.bulkDenied)
          rows.push(row)
        }
        let changed = 0
        for (const a of rows) {
          const fields: Record<string, unknown> = action === 'move'
            ? { category_id: targetCategoryId }
            : { status: action === 'publish' ? 'published' : 'hidden' }
          const before = { status: a.status, categoryId: Number(a.category_id) }
          const after = { status: (fields.status as string | undefined) ?? a.status, categoryId: (fields.category_id as number | undefined) ?? Number(a.category_id) }
          if (before.status === after.status && before.categoryId === after.categoryId) continue
          await keepRevision(trx, a)
          await repo.setFields(trx, a.id, { ...fields, updated_at: actor.now, edited_by: actor.user.id })
          await deps.audit({
            actorId: actor.user.id, action: action === 'move' ? 'article_move' : 'article_status', targetType: 'article', targetId: a.id,
            targetUserId: Number(a.author_id), before, after, requestId: actor.requestId, at: actor.now
          }, trx)
          changed++
        }
        return changed
      })
    }
  }
}

export type PublishingService = ReturnType<typeof publishingService>
