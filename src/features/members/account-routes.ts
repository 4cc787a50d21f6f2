import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HttpError } from '../../lib/http-errors'
import { FormError } from './service'
import { linkMessages } from './account-links'
import { startSession } from './routes'

/**
 * 找回密码 (/password/forgot → mail → /password/reset/:token) and e-mail verification (/email/verify):
 * HTTP only; the rules are in account-links.ts.
 */

/**
 * Per address the service allows 3 reset mails an hour; per client address these limits apply (a
 * stranger trying many addresses, or guessing reset tokens: 2^256 of them, but still).
 */
export const ACCOUNT_RATE_LIMITS = {
  forgot: { max: 5, timeWindow: '15 minutes' },
  reset: { max: 20, timeWindow: '15 minutes' },
  verify: { max: 10, timeWindow: '15 minutes' }
} as const

const field = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const ForgotBody = Type.Object({ _csrf: field(200), email: field(300) })
const ForgotQuery = Type.Object({ sent: Type.Optional(Type.String({ maxLength: 4 })) })
const ResetBody = Type.Object({ _csrf: field(200), password: field(200), password2: field(200) })
// A token that cannot be one (any length up to the cap) is the same "invalid link" page, not a 400 for the schema.
const TokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) })
const CsrfOnly = Type.Union([Type.Object({ _csrf: field(200) }), Type.Null()])

function invalidLink (): HttpError {
  return new HttpError(400, linkMessages.invalidLink, { retryUrl: '/password/forgot' })
}

export default async function accountRoutes (app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>()
  const links = app.accountLinks

  r.get('/password/forgot', { schema: { querystring: ForgotQuery } }, async (request, reply) => {
    return await reply.render('members/forgot.njk', { sent: request.query.sent === '1' ? linkMessages.resetSent : null })
  })

  r.post('/password/forgot', {
    schema: { body: ForgotBody },
    config: { rateLimit: ACCOUNT_RATE_LIMITS.forgot }
  }, async (request, reply) => {
    const email = (request.body.email ?? '').trim()
    if (email === '') {
      reply.code(400)
      return await reply.render('members/forgot.njk', { sent: null, error: '请输入 Email 地址' })
    }
    // The same answer whether or not the address is registered (and whether or not a mail went out).
    await links.requestPasswordReset(email, await app.siteOrigin(request))
    return await reply.redirect('/password/forgot?sent=1', 303)
  })

  r.get('/password/reset/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    if (!await links.resetLinkOpen(request.params.token)) throw invalidLink()
    return await reply.render('members/reset.njk', { token: request.params.token, errors: {} })
  })

  r.post('/password/reset/:token', {
    schema: { params: TokenParams, body: ResetBody },
    config: { rateLimit: ACCOUNT_RATE_LIMITS.reset }
  }, async (request, reply) => {
    const token = request.params.token
    try {
      const userId = await links.resetPassword(token, { password: request.body.password ?? '', password2: request.body.password2 ?? '' })
      // Every session of the member ended with the reset; this browser gets a fresh one, kept only while
      // it stays open (the reset form has no 自动登录 box: the next login asks).
      await startSession(request, userId, app.clock.now(), false)
      request.session.flash = linkMessages.resetDone
      return await reply.redirect('/settings', 303)
    } catch (err) {
      if (err instanceof FormError) {
        reply.code(400)
        return await reply.render('members/reset.njk', { token, errors: err.fields })
      }
      if (err instanceof HttpError && err.statusCode === 400) throw invalidLink()
      throw err
    }
  })

  r.get('/email/verify', async (request, reply) => {
    const user = request.user
    if (user === null) return await reply.redirect('/login?return=' + encodeURIComponent('/email/verify'), 303)
    const flash = request.session.flash ?? null
    delete request.session.flash
    return await reply.render('members/verify.njk', {
      flash, email: await app.members.emailOf(user.id), verified: await app.members.emailVerified(user.id)
    })
  })

  r.post('/email/verify', {
    schema: { body: CsrfOnly },
    config: { rateLimit: ACCOUNT_RATE_LIMITS.verify }
  }, async (request, reply) => {
    const user = request.user
    if (user === null) throw new HttpError(401, '您需要先登录才能继续本操作', { loginUrl: '/login?return=%2Femail%2Fverify' })
    const outcome = await links.resendVerification(user.id, await app.siteOrigin(request))
    request.session.flash = outcome === 'sent' ? linkMessages.verifySent : outcome === 'verified' ? linkMessages.alreadyVerified : linkMessages.verifyTooOften
    return await reply.redirect('/email/verify', 303)
  })

  // The link in the mail: a GET (a mail program opens it), the token spent once.
  r.get('/email/verify/:token', {
    schema: { params: TokenParams },
    config: { rateLimit: ACCOUNT_RATE_LIMITS.verify }
  }, async (request, reply) => {
    await links.verifyEmail(request.params.token)
    return await reply.render('members/verify.njk', { flash: linkMessages.verified, email: null, verified: false })
  })
}
