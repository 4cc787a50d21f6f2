import type { Knex } from 'knex'
import { HttpError, badRequest, forbidden, notFound, tooManyRequests } from '../../lib/http-errors'
import { paginate, type Page } from '../../lib/pagination'
import { can, isStaff, type AuthUser } from '../../lib/permissions'
import { isWordAction, normalizeWord, WordMatcher, type WordAction } from '../../lib/word-filter'
import type { WordLine } from '../../lib/word-lines'
import { antiAbuseRepository, type WordFilterRow, type WordListSignature } from './repository'

/**
 * The anti-abuse rules every piece of member content passes through (portal comments, forum
 * threads and replies): bans, flood control, the new-member rules, and the 屏蔽词 list.
 * One entry point, `checkContribution`, called inside the caller's transaction just before the
 * insert. No Fastify types here: the forum and comments services call it directly.
 */

/**
 * The defaults of the anti-abuse numbers. An app reads the admin's values from the settings
 * (站点设置 → 防灌水: flood_interval, new_member_flood_interval, new_member_silence,
 * new_member_link_review_count, src/plugins/settings.ts); code without an app (the CLI) uses these.
 */
/** Seconds between two contributions of one member. */
export const FLOOD_INTERVAL = 15
/** ...during the first day after registration. */
export const NEW_MEMBER_FLOOD_INTERVAL = 30
export const NEW_MEMBER_DAY = 86400
/** Newly registered members may not post at all for this long. */
export const NEW_MEMBER_SILENCE = 120
/** A member's first contributions that contain a link go to review. */
export const NEW_MEMBER_LINK_REVIEW_COUNT = 3
/** How long an instance trusts its cached word list before checking the table's signature. */
export const WORD_CACHE_TTL_MS = 5000

/** The anti-abuse numbers in force. */
export interface AntiAbuseLimits {
  /** Seconds between two contributions of one member. */
  floodInterval: number
  /** ...during the first day after registration. */
  newMemberFloodInterval: number
  /** Seconds after registration during which a member may not post at all. */
  newMemberSilence: number
  /** A member's first contributions with a link go to review: this many. */
  newMemberLinkReviewCount: number
  /** 站点设置 → 发表内容前须验证 Email: a member whose address is not confirmed may not post. */
  emailVerificationRequired?: boolean
}

export const DEFAULT_LIMITS: Readonly<AntiAbuseLimits> = {
  floodInterval: FLOOD_INTERVAL,
  newMemberFloodInterval: NEW_MEMBER_FLOOD_INTERVAL,
  newMemberSilence: NEW_MEMBER_SILENCE,
  newMemberLinkReviewCount: NEW_MEMBER_LINK_REVIEW_COUNT
}

/**
 * Where the service reads the numbers, given the posting transaction when there is one (on SQLite the
 * pool has one connection: a read outside it would wait for itself).
 */
export type LimitsReader = (trx?: Knex.Transaction) => Promise<AntiAbuseLimits>

export const messages = {
  banned: '抱歉，您已被禁止发言',
  unverified: '请先验证您的 Email 地址再发表内容（验证邮件中有链接；浏览和表态不受影响）',
  // Both say how long is left (from the real remaining time), so the member need not guess and retry.
  newMemberSilence: (wait: number) => `新注册用户需等待 ${wait} 秒后才能发表`,
  flood: (interval: number, wait: number) => `您两次发表间隔少于 ${interval} 秒，请 ${wait} 秒后再发表`,
  blockedWord: (noun: string) => `您的${noun}包含不允许的词语`,
  wordEmpty: '请输入要屏蔽的词语',
  wordTooLong: '屏蔽词不能超过 100 个字符',
  replacementTooLong: '替换内容不能超过 100 个字符',
  wordAction: '请选择处理方式',
  wordNotFound: '该屏蔽词不存在'
} as const

export type ContributionStatus = 'visible' | 'pending'

export interface ContributionInput {
  /** The member posting, or null for a guest (guests skip flood control and always go to review). */
  user: AuthUser | null
  /** The source text as typed (title and body joined, for a thread). */
  text: string
  now: number
  /** The caller's transaction: the posting slot is taken in it, so a post that fails later gives it back. */
  trx: Knex.Transaction
  /** What the user is posting, for messages: 评论 (default), 帖子, 回复. */
  noun?: string
}

export interface ContributionVerdict {
  status: ContributionStatus
  /** The text to store: the input with 'replace' words replaced. */
  text: string
  /** Why it goes to review (empty when visible): 'guest', 'word', 'new-member-link'. */
  reasons: string[]
}

export interface AntiAbuseOptions {
  /** Defaults to WORD_CACHE_TTL_MS; tests shorten it to see another instance's change. */
  wordCacheTtlMs?: number
  /** Milliseconds clock for the cache TTL (defaults to Date.now). */
  nowMs?: () => number
  /** The anti-abuse numbers (the app passes its settings); defaults to DEFAULT_LIMITS. */
  limits?: LimitsReader
}

const LINK_PATTERN = /(?:https?:\/\/|www\.)\S|\b[a-z0-9-]+\.(?:com|net|org|cn|info|top|xyz|cc|io|me|tk|vip|shop|site|club)(?:\/|\b)/i

/** True when the text contains something a reader could follow as a link (after full-width folding). */
export function containsLink (text: string): boolean {
  return LINK_PATTERN.test(text.normalize('NFKC'))
}

/** The flood interval for a member at `now`, or a refusal when they registered moments ago. */
export function floodIntervalFor (user: Pick<AuthUser, 'createdAt'>, now: number, limits: AntiAbuseLimits = DEFAULT_LIMITS): number {
  const age = now - user.createdAt
  if (age < limits.newMemberSilence) throw forbidden(messages.newMemberSilence(limits.newMemberSilence - age))
  return age < NEW_MEMBER_DAY ? limits.newMemberFloodInterval : limits.floodInterval
}

/**
 * What a posting form shows above itself before the member types: the new-member wait, with the
 * seconds left (null when there is none: guests, staff, members past their first minutes).
 */
export function newMemberWait (user: AuthUser | null, now: number, silence: number = NEW_MEMBER_SILENCE): { seconds: number, message: string } | null {
  if (user === null || isStaff(user)) return null
  const seconds = silence - (now - user.createdAt)
  return seconds > 0 ? { seconds, message: messages.newMemberSilence(seconds) } : null
}

export function antiAbuseService (db: Knex, options: AntiAbuseOptions = {}) {
  const repo = antiAbuseRepository(db)
  const ttl = options.wordCacheTtlMs ?? WORD_CACHE_TTL_MS
  const nowMs = options.nowMs ?? (() => Date.now())
  let readLimits: LimitsReader = options.limits ?? (async () => DEFAULT_LIMITS)
  let matcher: WordMatcher | null = null
  let signature: WordListSignature | null = null
  let checkedAt = 0
  let building: Promise<WordMatcher> | null = null

  function sameSignature (a: WordListSignature | null, b: WordListSignature): boolean {
    return a !== null && a.count === b.count && a.maxId === b.maxId && a.maxUpdatedAt === b.maxUpdatedAt
  }

  /** The cached matcher; rebuilt when this instance changed the list or the table's signature moved. */
  // Inside a posting transaction the list is read through it: on SQLite the pool has one connection.
  async function currentMatcher (trx?: Knex.Transaction): Promise<WordMatcher> {
    if (matcher !== null && nowMs() - checkedAt < ttl) return matcher
    building ??= (async () => {
      try {
        const latest = await repo.wordListSignature(trx)
        if (matcher === null || !sameSignature(signature, latest)) {
          const rows = await repo.listWords(trx)
          matcher = new WordMatcher(rows.map((r) => ({ word: r.word, action: r.action, replacement: r.replacement })))
          signature = latest
        }
        checkedAt = nowMs()
        return matcher
      } finally {
        building = null
      }
    })()
    return await building
  }

  function invalidate (): void {
    matcher = null
    signature = null
  }

  return {
    /** The numbers in force now (the posting forms' new-member notice reads the silence from here). */
    limits: async (): Promise<AntiAbuseLimits> => await readLimits(),

    /** Makes the service read its numbers from `reader` (the app's settings) from now on. */
    useLimits (reader: LimitsReader): void {
      readLimits = reader
    },

    /**
     * Decides whether a contribution may be posted and how: throws an HttpError with the Chinese
     * reason when refused, else says whether it is visible at once or waits for review, and gives
     * the text to store. Takes the member's flood slot last, so a refusal for another reason does
     * not use it up.
     */
    async checkContribution (input: ContributionInput): Promise<ContributionVerdict> {
      const { user, now, trx } = input
      const noun = input.noun ?? '评论'
      const reasons: string[] = []
      if (user !== null && !can(user, { action: 'write' }, now)) throw forbidden(messages.banned)
      // Staff accounts are trusted from the start (a new admin made by the CLI can post at once).
      const limits = user === null ? DEFAULT_LIMITS : await readLimits(trx)
      // Before the flood slot: an unverified member's refusal must not use it up. Staff are exempt (they vouch for themselves).
      if (user !== null && limits.emailVerificationRequired === true && user.emailVerified === false && !isStaff(user)) {
        throw new HttpError(403, messages.unverified, { verifyUrl: '/email/verify' })
      }
      const interval = user === null ? 0 : isStaff(user) ? limits.floodInterval : floodIntervalFor(user, now, limits)

      const scan = (await currentMatcher(trx)).scan(input.text)
      if (scan.blocked.length > 0) throw badRequest(messages.blockedWord(noun))
      if (scan.moderated.length > 0) reasons.push('word')
      if (user === null) reasons.push('guest')

      if (user !== null) {
        const before = await repo.takePostingSlot(user.id, now, interval, trx)
        // An interval of 0 turns flood control off: the slot is still taken (it counts the member's posts).
        if (before === null && interval > 0) {
          // Read in the same transaction: the last post that holds the slot, the winner's included.
          const wait = Math.max(1, await repo.lastPostAt(user.id, trx) + interval - now)
          throw tooManyRequests(messages.flood(interval, wait))
        }
        if (!isStaff(user) && (before ?? Infinity) < limits.newMemberLinkReviewCount && containsLink(scan.text)) reasons.push('new-member-link')
      }
      // Staff content never waits for review (they are the reviewers), but blocked words still apply.
      const pending = reasons.length > 0 && !(user !== null && isStaff(user))
      return { status: pending ? 'pending' : 'visible', text: scan.text, reasons: pending ? reasons : [] }
    },

    /**
     * The rules for an edit of existing content: bans and the word list, but no flood slot
     * (an edit adds nothing new to the page). `pending` when a 'moderate' word appears (staff excepted).
     */
    async checkEdit (input: ContributionInput): Promise<ContributionVerdict> {
      const { user, now, trx } = input
      if (user !== null && !can(user, { action: 'write' }, now)) throw forbidden(messages.banned)
      const scan = (await currentMatcher(trx)).scan(input.text)
      if (scan.blocked.length > 0) throw badRequest(messages.blockedWord(input.noun ?? '评论'))
      const pending = scan.moderated.length > 0 && !(user !== null && isStaff(user))
      return { status: pending ? 'pending' : 'visible', text: scan.text, reasons: pending ? ['word'] : [] }
    },

    /** Runs only the word list over a text (e.g. to preview, or for an edit that must not take a flood slot). */
    async scanWords (text: string): Promise<ReturnType<WordMatcher['scan']>> {
      return (await currentMatcher()).scan(text)
    },

    words: {
      /** Newest first, one page for the admin list. */
      async page (requested: number, perPage = 100): Promise<{ words: WordFilterRow[], page: Page }> {
        const page = paginate(requested, perPage, await repo.countWords())
        return { words: await repo.listWordsPage(page.offset, page.perPage), page }
      },

      /**
       * Adds a word or changes the one with the same key. `audit`, when given, writes the action's audit
       * row in the same transaction, with the stored row it replaces (null for a new word).
       */
      async add (input: { word: unknown, action: unknown, replacement?: unknown, by: number | null, now: number },
        audit?: (trx: Knex.Transaction, before: WordFilterRow | null, after: { word: string, action: WordAction, replacement: string }) => Promise<void>): Promise<void> {
        const word = typeof input.word === 'string' ? input.word.trim() : ''
        if (word === '') throw badRequest(messages.wordEmpty)
        if ([...word].length > 100) throw badRequest(messages.wordTooLong)
        const key = normalizeWord(word)
        if (key === '') throw badRequest(messages.wordEmpty)
        if (!isWordAction(input.action)) throw badRequest(messages.wordAction)
        const action: WordAction = input.action
        const rawReplacement = typeof input.replacement === 'string' ? input.replacement : ''
        const replacement = rawReplacement === '' ? '**' : rawReplacement
        if ([...replacement].length > 100) throw badRequest(messages.replacementTooLong)
        await db.transaction(async (trx) => {
          const [before] = await repo.wordsByKeys([key.slice(0, 100)], trx)
          await repo.upsertWord({ word, key: key.slice(0, 100), action, replacement, by: input.by, at: input.now }, trx)
          await audit?.(trx, before ?? null, { word, action, replacement })
        })
        invalidate()
      },

      /** Every word, oldest first (the text export). */
      all: async (): Promise<WordFilterRow[]> => await repo.listWords(),

      /**
       * Adds or changes every parsed line in one transaction (the text import): all of them or none.
       * `audit` writes the action's audit row in that transaction, given the stored rows it changes
       * (before) and the lines (after).
       */
      async importLines (lines: readonly WordLine[], by: number, now: number,
        audit: (trx: Knex.Transaction, before: WordFilterRow[], after: readonly WordLine[]) => Promise<void>): Promise<{ added: number, changed: number }> {
        const keyed = lines.map((l) => ({ ...l, key: normalizeWord(l.word).slice(0, 100) }))
        const result = await db.transaction(async (trx) => {
          const before = await repo.wordsByKeys(keyed.map((l) => l.key), trx)
          for (const l of keyed) {
            await repo.upsertWord({ word: l.word, key: l.key, action: l.action, replacement: l.action === 'replace' ? l.replacement : '**', by, at: now }, trx)
          }
          await audit(trx, before, lines)
          return { added: keyed.length - before.length, changed: before.length }
        })
        invalidate()
        return result
      },

      /** Deletes a word; `audit`, when given, records it (with the deleted row) in the same transaction. */
      async remove (id: number, audit?: (trx: Knex.Transaction, before: WordFilterRow) => Promise<void>): Promise<void> {
        await db.transaction(async (trx) => {
          const before = await repo.wordById(id, trx)
          if (before === null || !await repo.deleteWord(id, trx)) throw notFound(messages.wordNotFound)
          await audit?.(trx, before)
        })
        invalidate()
      }
    }
  }
}

export type AntiAbuse = ReturnType<typeof antiAbuseService>

const shared = new WeakMap<Knex, AntiAbuse>()

/**
 * The process-wide anti-abuse service for a database: one cached matcher per Knex handle, shared
 * by every feature, so an admin's change seen by one feature is seen by all in this process.
 */
export function antiAbuseFor (db: Knex): AntiAbuse {
  let service = shared.get(db)
  if (service === undefined) {
    service = antiAbuseService(db)
    shared.set(db, service)
  }
  return service
}

