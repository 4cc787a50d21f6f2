import crypto from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type { AppConfig } from '../../config'
import { captchaService, type CaptchaAnswer, type CaptchaResult } from './service'
import captchaRoutes, { WIDGET_URL } from './routes'

export { messages as captchaMessages, POW, normalizeAnswer } from './service'
export type { CaptchaAnswer, CaptchaResult } from './service'

/** What a form's captcha partial (views/partials/_captcha.njk) needs. */
export interface CaptchaView {
  /** The widget script's URL. */
  script: string
  /** The no-JavaScript question ('' when the admin set none). */
  question: string
  /** The reason the last answer failed, shown beside it. */
  error?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The captcha (altcha proof-of-work, or the admin's fallback question): `verify`, `view`. */
    captcha: {
      verify: (answer: CaptchaAnswer) => Promise<CaptchaResult>
      /** The partial's data for a form; `error` from a failed check. */
      view: (error?: string) => Promise<CaptchaView>
      /** The body's captcha fields, whatever else it holds. */
      answerOf: (request: FastifyRequest) => CaptchaAnswer
    }
  }
}

/**
 * The captcha feature: challenges at /captcha/challenge, the widget at /captcha/altcha.js, and
 * `app.captcha` for the forms that ask for it (registration, login after failures, guest comments).
 * Its key is derived from SESSION_SECRET (a challenge signed by one process verifies on every other).
 */
export default fp<{ config: AppConfig }>(async (app, opts) => {
  const secret = crypto.createHmac('sha256', opts.config.sessionSecret).update('captcha').digest('hex')
  const service = captchaService({
    db: app.db,
    secret,
    fallback: async () => ({ question: await app.settings.get('captcha_question'), answer: await app.settings.get('captcha_answer') })
  })
  app.decorate('captcha', {
    verify: async (answer: CaptchaAnswer) => await service.verify(answer),
    view: async (error?: string) => ({ script: WIDGET_URL, question: await service.question(), ...(error !== undefined ? { error } : {}) }),
    answerOf: (request: FastifyRequest): CaptchaAnswer => {
      const body = request.body as Record<string, unknown> | null | undefined
      const pick = (k: string): string | undefined => typeof body?.[k] === 'string' ? body[k] : undefined
      return { altcha: pick('altcha'), captcha_answer: pick('captcha_answer') }
    }
  })
  await app.register(captchaRoutes, { service })
}, { name: 'captcha', dependencies: ['db', 'settings', 'security'] })
