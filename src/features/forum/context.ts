import { imageSizesFor, type ImageSizeLookup, type ImageSizes } from '../../lib/markdown'
import type { Knex } from 'knex'
import { notFound } from '../../lib/http-errors'
import { isStaff, type AuthUser } from '../../lib/permissions'
import { startOfSiteDay } from '../../lib/dates'
import type { SiteTimeZone } from '../../lib/time-zone'
import { auditLog, type AuditLog } from '../moderation'
import type { NotificationsService } from '../notifications'
import type { ContributionCheck } from './contribution'
import { BoardTree } from './boards'
import { forumRepository, type BoardRow, type ForumRepository, type ThreadRow } from './repository'
import { messages } from './rules'
import { withSearchIndex } from './search-documents'
import type { SearchIndex } from '../search'

/**
 * What every forum use case (threads, replies, moderation, counters) shares: the repositories, the
 * board tree with its optional cache, who may read a thread, and the locked read a write starts with.
 */

export interface ForumServiceOptions {
  db: Knex
  /** Replica for guest reads, when there is one. */
  dbRead?: Knex
  /** The live site zone (app.settings.timeZone): 今日 starts at its midnight. */
  timeZone: SiteTimeZone<Knex.Transaction>
  /** The anti-abuse module (app.antiAbuse), or a stand-in with the same two functions. */
  antiAbuse: { checkContribution: ContributionCheck, checkEdit: ContributionCheck }
  /** The moderation audit log (app.moderation.audit); defaults to one over `db` (the CLI, read-only builds). */
  audit?: AuditLog
  /** Reuse the board list this long for reads that do not say otherwise (default 0: read fresh). */
  boardCacheMs?: number
  /** The search index (app.search.index): every content write changes it in the same transaction; absent in the CLI. */
  searchIndex?: SearchIndex
  /** 提醒 (app.notifications), told inside each post's transaction; none in builds without the app (the CLI). */
  notifications?: ForumNotices
  /** Stored pictures' sizes (app.uploads.imageSizes), written into a post's <img> when it is rendered; absent in the CLI. */
  imageSizes?: ImageSizeLookup
}

/** What the forum tells the notifications feature. */
export type ForumNotices = Pick<NotificationsService, 'contribution' | 'quotedMember' | 'notify'>

const NO_NOTICES: ForumNotices = {
  contribution: async () => [],
  quotedMember: async () => null,
  notify: async () => false
}

/** How a read may use the board list: `boardsMaxAgeMs` > 0 reuses one read at most that old (the Archiver's text pages). */
export interface BoardReadOptions { boardsMaxAgeMs?: number }

export interface ModerationContext { actor: AuthUser, now: number, requestId?: string, reason?: string }

export interface ForumContext {
  db: Knex
  repo: ForumRepository
  readRepo: ForumRepository
  audit: AuditLog
  timeZone: SiteTimeZone<Knex.Transaction>
  antiAbuse: ForumServiceOptions['antiAbuse']
  /** The start of the site day holding `now` (the 今日 counters), the zone read in `trx` when given. */
  today: (now: number, trx?: Knex.Transaction) => Promise<number>
  notices: ForumNotices
  /** The sizes of the stored pictures a body shows. Asked before a write's transaction: on SQLite's one connection a lookup outside it would wait for it. */
  imageSizes: (body: string) => Promise<ImageSizes>
  /** The board tree: through `trx` inside a write, else fresh or at most `boardsMaxAgeMs` old. */
  boardTree: (now: number, source?: { trx?: Knex.Transaction } & BoardReadOptions) => Promise<BoardTree>
  mayReadThread: (viewer: AuthUser | null, thread: ThreadRow, tree: BoardTree) => boolean
  /** The thread (read in `trx`) and the board tree, or the thread 404 when the viewer may not read it. */
  lockReadableThread: (trx: Knex.Transaction, viewer: AuthUser | null, threadId: number, now: number) => Promise<{ thread: ThreadRow, tree: BoardTree }>
}

export function forumContext (options: ForumServiceOptions): ForumContext {
  const { db, timeZone } = options
  const repo = withSearchIndex(forumRepository(db), options.searchIndex)
  const readRepo = forumRepository(options.dbRead ?? db)
  const today = async (now: number, trx?: Knex.Transaction): Promise<number> => startOfSiteDay(now, await timeZone(trx))

  let cachedBoards: { rows: BoardRow[], at: number } | null = null
  async function boardTree (now: number, source: { trx?: Knex.Transaction } & BoardReadOptions = {}): Promise<BoardTree> {
    // Boards are few; read fresh each time so an admin's change shows at once on every instance,
    // unless the read asks for (or this instance was built with) a short cache (the Archiver's text pages).
    if (source.trx !== undefined) return new BoardTree(await repo.allBoards(source.trx), await today(now, source.trx))
    const cacheMs = source.boardsMaxAgeMs ?? options.boardCacheMs ?? 0
    const nowMs = now * 1000
    if (cacheMs <= 0) return new BoardTree(await readRepo.allBoards(), await today(now))
    if (cachedBoards === null || nowMs - cachedBoards.at >= cacheMs || nowMs < cachedBoards.at) {
      cachedBoards = { rows: await readRepo.allBoards(), at: nowMs }
    }
    return new BoardTree(cachedBoards.rows, await today(now))
  }

  function mayReadThread (viewer: AuthUser | null, thread: ThreadRow, tree: BoardTree): boolean {
    if (!tree.visibleTo(viewer, thread.board_id)) return false
    if (thread.status === 'visible') return true
    // A board's 版主 reads what waits for review in their boards, as site staff do everywhere.
    return thread.status === 'pending' && viewer !== null &&
      (viewer.id === thread.author_id || isStaff(viewer) || (viewer.moderatedBoards?.includes(thread.board_id) ?? false))
  }

  async function lockReadableThread (trx: Knex.Transaction, viewer: AuthUser | null, threadId: number, now: number): Promise<{ thread: ThreadRow, tree: BoardTree }> {
    const thread = await repo.findThread(threadId, trx)
    const tree = await boardTree(now, { trx })
    if (thread === null || !mayReadThread(viewer, thread, tree)) throw notFound(messages.threadNotFound)
    return { thread, tree }
  }

  return {
    db, repo, readRepo, timeZone, today, boardTree, mayReadThread, lockReadableThread,
    audit: options.audit ?? auditLog(db),
    antiAbuse: options.antiAbuse,
    notices: options.notifications ?? NO_NOTICES,
    imageSizes: async (body) => await imageSizesFor(body, options.imageSizes)
  }
}
