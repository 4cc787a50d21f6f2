import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { CaptchaService } from './service'

/** The widget (altcha, all languages: the page asks for zh-cn), read once; its URL carries the version. */
// The package exports only its entry points: found from the main one (dist/main/altcha.umd.cjs).
const WIDGET_DIR = path.dirname(require.resolve('altcha'))
const WIDGET_FILE = path.join(WIDGET_DIR, 'altcha.i18n.min.js')
const WIDGET_VERSION = (JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, '..', '..', 'package.json'), 'utf8')) as { version: string }).version
export const WIDGET_URL = `/captcha/altcha.js?v=${WIDGET_VERSION}`

/** A stranger can ask for challenges over and over: each costs us an HMAC, so they are rate-limited. */
export const CHALLENGE_RATE_LIMIT = { max: 30, timeWindow: '1 minute' } as const

export default async function captchaRoutes (app: FastifyInstance, opts: { service: CaptchaService }): Promise<void> {
  const widget = fs.readFileSync(WIDGET_FILE)

  app.get('/captcha/challenge', { config: { rateLimit: CHALLENGE_RATE_LIMIT } }, async (_request, reply) => {
    // Never cached: a challenge works once.
    return await reply.header('Cache-Control', 'no-store').send(await opts.service.challenge())
  })

  app.get('/captcha/altcha.js', async (_request, reply) => {
    // Served from node_modules (no CDN: the widget must load where third-party hosts do not).
    return await reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=31536000, immutable').send(widget)
  })
}
