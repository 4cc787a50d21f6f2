import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/sha'
import { captchaRepository } from './repository'

/**
 * The proof-of-work: SHA-256 repeated COST times per try, the answer a counter in [MIN, MAX]. A browser's
 * workers find it in about a second (it tries up to ~MAX × COST hashes); a spammer pays that for every
 * registration, and every challenge works once.
 */
export const POW = { algorithm: 'SHA-256', cost: 50, counterMin: 5_000, counterMax: 20_000 } as const
/** A challenge is good for 10 minutes (a member filling in the form slowly). */
export const CHALLENGE_TTL_SECONDS = 600
const CLEANUP_EVERY_MS = 60_000

export const messages = {
  required: '请完成验证（点击“我不是机器人”，或回答验证问题）',
  wrong: '验证未通过，请重新验证',
  question: '验证问题的答案不正确'
} as const

export interface CaptchaAnswer {
  /** The widget's payload: base64 of `{ challenge, solution }`. */
  altcha?: string
  /** The no-JavaScript fallback question's answer. */
  captcha_answer?: string
}

export type CaptchaResult = { ok: true } | { ok: false, message: string }

export interface CaptchaServiceDeps {
  db: Knex
  /** HMAC key for challenge signatures (derived from SESSION_SECRET). */
  secret: string
  /** The admin's fallback question and answer (站点设置); blank question: no fallback. */
  fallback: () => Promise<{ question: string, answer: string }>
}

/** Answers compare in NFKC, trimmed, case-folded: 'ＡＢＣ ' is 'abc'. */
export function normalizeAnswer (s: string): string {
  return s.normalize('NFKC').trim().toLowerCase()
}

function decodePayload (raw: string): { challenge: Challenge, solution: Solution } | null {
  if (raw.length > 4000) return null
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as unknown
    if (typeof parsed !== 'object' || parsed === null) return null
    const { challenge, solution } = parsed as Record<string, unknown>
    if (typeof challenge !== 'object' || challenge === null || typeof solution !== 'object' || solution === null) return null
    const params = (challenge as Record<string, unknown>).parameters
    if (typeof params !== 'object' || params === null) return null
    return { challenge: challenge as Challenge, solution: solution as Solution }
  } catch {
    return null
  }
}

/**
 * Self-hosted captcha: altcha-lib challenges signed with our key, solved by the altcha widget in the
 * page; a solution is accepted once (its signature's hash is stored until the challenge expires, so a
 * replay fails on every process). Expiry is altcha-lib's own, on the real clock (it checks Date.now()).
 */
export function captchaService ({ db, secret, fallback }: CaptchaServiceDeps) {
  const repo = captchaRepository(db)
  let lastCleanup = 0

  return {
    /** A fresh challenge for the widget (GET /captcha/challenge). */
    async challenge (): Promise<Challenge> {
      return await createChallenge({
        algorithm: POW.algorithm,
        cost: POW.cost,
        counter: randomInt(POW.counterMax, POW.counterMin),
        deriveKey,
        hmacSignatureSecret: secret,
        expiresAt: Math.floor(Date.now() / 1000) + CHALLENGE_TTL_SECONDS
      })
    },

    /** The fallback question to show without JavaScript, or '' when the admin set none. */
    async question (): Promise<string> {
      const f = await fallback()
      return f.answer.trim() === '' ? '' : f.question
    },

    /**
     * Checks what the form sent: a widget solution (signature, work and expiry checked, then spent), or
     * else the fallback answer. Forged, expired, replayed or missing: not ok, with the Chinese reason.
     */
    async verify (answer: CaptchaAnswer): Promise<CaptchaResult> {
      const payload = (answer.altcha ?? '').trim()
      if (payload !== '') {
        const decoded = decodePayload(payload)
        if (decoded === null) return { ok: false, message: messages.wrong }
        let verified = false
        try {
          verified = (await verifySolution({ challenge: decoded.challenge, solution: decoded.solution, deriveKey, hmacSignatureSecret: secret })).verified
        } catch {
          verified = false
        }
        if (!verified || typeof decoded.challenge.signature !== 'string') return { ok: false, message: messages.wrong }
        const nowS = Math.floor(Date.now() / 1000)
        if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
          lastCleanup = Date.now()
          await repo.deleteExpired(nowS)
        }
        const hash = crypto.createHash('sha256').update(decoded.challenge.signature).digest('hex')
        const expiresAt = Number(decoded.challenge.parameters.expiresAt ?? nowS + CHALLENGE_TTL_SECONDS)
        if (!await repo.markUsed(hash, expiresAt)) return { ok: false, message: messages.wrong }
        return { ok: true }
      }
      const typed = answer.captcha_answer ?? ''
      if (typed.trim() === '') return { ok: false, message: messages.required }
      const f = await fallback()
      if (f.answer.trim() === '') return { ok: false, message: messages.required }
      // Timing-safe is moot here (the answer is on the page for anyone to read); compare plainly.
      return normalizeAnswer(typed) === normalizeAnswer(f.answer) ? { ok: true } : { ok: false, message: messages.question }
    }
  }
}

export type CaptchaService = ReturnType<typeof captchaService>
