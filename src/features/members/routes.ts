import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { queryValue } from '../../plugins/legacy-urls'
import type { AppConfig } from '../../config'
import { HttpError, legacyNotFound, notFound, parseId } from '../../lib/http-errors'
import { ipHash } from '../../lib/visitor'
import { encodeLocation } from '../../lib/location'
import { SESSION_COOKIE, SESSION_MAX_AGE_MS } from '../../plugins/session'
import { CSRF_COOKIE } from '../../plugins/security'
import { FormError, messages } from './service'
import { linkMessages } from './account-links'
import type { CaptchaView } from '../captcha'

declare module 'fastify' {
  interface Session {
    /** A one-time message shown on the next page (post/redirect/get). */
    flash?: string
  }
}

/**
 * Only same-site paths: `/x`, never `//host`, `/\host` or an absolute URL (no open redirect).
 * Browsers drop tabs and newlines inside URLs (`/\t/evil` becomes `//evil`), so any control
 * character or backslash refuses the path too.
 */
export function safeReturnPath (raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000) return '/'
  if (!raw.startsWith('/') || raw.startsWith('//')) return '/'
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/'
  return encodeLocation(raw)
}

/** Rate limits per route group (per IP, per instance): registration and login are the stricter ones. */
export const RATE_LIMITS = {
  login: { max: 20, timeWindow: '1 minute' },
  register: { max: 30, timeWindow: '10 minutes' },
  settings: { max: 20, timeWindow: '1 minute' }
} as const

// ---- schemas ----
// Form fields are optional strings with a length cap: a missing field reaches the service as '' and
// gets the form's own message beside the field (as before), while an oversized one is refused with the
// site's Chinese 400 naming it (src/plugins/errors.ts). `_csrf` is checked by the security plugin.
const field = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const formFields = { _csrf: field(200), return: field(2000) }
/** The captcha's fields (src/features/captcha): the widget's payload, or the fallback question's answer. */
const captchaFields = { altcha: field(4000), captcha_answer: field(100) }

/**
 * `?return=` is lenient: a repeated one (`?return=/a&return=/b`, an array) or any other oddity falls back
 * to `/` in safeReturnPath rather than failing the page; other query parameters are ignored.
 */
const ReturnQuery = Type.Object({ return: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) })
// cookietime: Discuz's 自动登录 box (its value, 2592000, is the seconds it asks for; a value of some kind means checked).
const LoginBody = Type.Object({ ...formFields, ...captchaFields, login: field(200), password: field(200), cookietime: field(20) })
const RegisterBody = Type.Object({ ...formFields, ...captchaFields, username: field(100), password: field(200), password2: field(200), email: field(300) })
const SettingsBody = Type.Object({
  ...formFields,
  form: field(16),
  oldPassword: field(200),
  password: field(200),
  password2: field(200),
  email: field(300),
  emailPassword: field(200)
})
// Logging out posts nothing but the form token; no body at all still reaches the CSRF check (its 403).
const LogoutBody = Type.Union([Type.Object(formFields), Type.Null()])
// A uid that is not a number is the profile's Chinese 404 (parseId), not a 400: kept a plain string here.
const UidParams = Type.Object({ uid: Type.String({ maxLength: 200 }) })

/**
 * Logs the member in on a fresh session id: a session fixed by an attacker before login is worthless.
 * `remember` (自动登录) gives the cookie a rolling 30-day lifetime; without it the cookie has no
 * Expires and is gone when the browser closes (the server's row still expires on its own schedule).
 */
export async function startSession (request: FastifyRequest, userId: number, now: number, remember: boolean): Promise<void> {
  await request.session.regenerate()
  // Stored with the session (its cookie's originalMaxAge), so every later response keeps rolling it.
  if (remember) request.session.cookie.maxAge = SESSION_MAX_AGE_MS
  request.session.userId = userId
  request.session.loginAt = now
}

function takeFlash (request: FastifyRequest): string | null {
  const flash = request.session.flash
  if (flash === undefined) return null
  delete request.session.flash
  return flash
}

export default async function membersRoutes (app: FastifyInstance, opts: { config: AppConfig }): Promise<void> {
  const config = opts.config
  const members = app.members
  const r = app.withTypeProvider<TypeBoxTypeProvider>()

  // ---- login / logout ----

  /** The captcha for a login from this address (and for this account, once typed), or null while not needed. */
  const loginCaptcha = async (request: FastifyRequest, login: string, error?: string): Promise<CaptchaView | null> => {
    const threshold = await app.settings.getNumber('captcha_login_failures')
    return await members.loginNeedsCaptcha(login, ipHash(config.sessionSecret, request.ip), threshold) ? await app.captcha.view(error) : null
  }

  r.get('/login', { schema: { querystring: ReturnQuery } }, async (request, reply) => {
    if (request.user !== null) return await reply.redirect(safeReturnPath(request.query.return), 303)
    return await reply.render('members/login.njk', { returnTo: safeReturnPath(request.query.return), form: {}, captcha: await loginCaptcha(request, '') })
  })

  r.post('/login', {
    schema: { body: LoginBody },
    // The header's quick login box posts here from cached guest pages, without a token (security.ts).
    config: { rateLimit: RATE_LIMITS.login, sameOriginWithoutToken: true }
  }, async (request, reply) => {
    const body = request.body
    const login = body.login ?? ''
    const returnTo = safeReturnPath(body.return)
    const remember = body.cookietime !== undefined && body.cookietime !== ''
    // After failures (站点设置: 登录失败几次后需要验证码) a guess costs a solved captcha too.
    if (await loginCaptcha(request, login) !== null) {
      const check = await app.captcha.verify(app.captcha.answerOf(request))
      if (!check.ok) {
        reply.code(400)
        return await reply.render('members/login.njk', { returnTo, form: { login, remember }, error: check.message, captcha: await app.captcha.view(check.message) })
      }
    }
    try {
      const user = await members.authenticate(login, body.password ?? '', ipHash(config.sessionSecret, request.ip))
      await startSession(request, user.id, app.clock.now(), remember)
      if (Boolean(user.must_change_password)) {
        // An admin reset the password (用户管理): a new one first; other pages send them back here.
        request.session.flash = messages.mustChangePassword
        return await reply.redirect('/settings', 303)
      }
      return await reply.redirect(returnTo, 303)
    } catch (err) {
      // 403: the account is locked (said only after the right password).
      if (err instanceof HttpError && (err.statusCode === 400 || err.statusCode === 403 || err.statusCode === 429)) {
        reply.code(err.statusCode)
        return await reply.render('members/login.njk', { returnTo, form: { login, remember }, error: err.message, captcha: await loginCaptcha(request, login) })
      }
      throw err
    }
  })

  r.post('/logout', { schema: { body: LogoutBody } }, async (request, reply) => {
    await request.session.destroy()
    // The browser forgets both cookies (an expired Set-Cookie), not only the server its session row.
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    reply.clearCookie(CSRF_COOKIE, { path: '/' })
    return await reply.redirect('/', 303)
  })

  // ---- registration ----

  // 站点设置 → 开放注册 off: the form and its POST both refuse (the CLI's user:create still works).
  async function refuseWhenRegistrationClosed (): Promise<void> {
    if (!await app.settings.getBoolean('registration_open')) throw new HttpError(403, '抱歉，本站暂时关闭注册，请稍后再来')
  }

  const registerCaptcha = async (error?: string): Promise<CaptchaView | null> =>
    await app.settings.getBoolean('captcha_register') ? await app.captcha.view(error) : null

  r.get('/register', { schema: { querystring: ReturnQuery } }, async (request, reply) => {
    if (request.user !== null) return await reply.redirect('/', 303)
    await refuseWhenRegistrationClosed()
    return await reply.render('members/register.njk', { returnTo: safeReturnPath(request.query.return), form: {}, errors: {}, captcha: await registerCaptcha() })
  })

  r.post('/register', {
    schema: { body: RegisterBody },
    config: { rateLimit: RATE_LIMITS.register }
  }, async (request, reply) => {
    if (request.user !== null) return await reply.redirect('/', 303)
    await refuseWhenRegistrationClosed()
    const body = request.body
    const input = { username: body.username ?? '', password: body.password ?? '', password2: body.password2 ?? '', email: body.email ?? '' }
    const returnTo = safeReturnPath(body.return)
    // The captcha first: a bot without it gets no further (and learns nothing of which names are taken).
    if (await registerCaptcha() !== null) {
      const check = await app.captcha.verify(app.captcha.answerOf(request))
      if (!check.ok) {
        reply.code(400)
        return await reply.render('members/register.njk', { returnTo, form: { username: input.username, email: input.email }, errors: {}, captcha: await registerCaptcha(check.message) })
      }
    }
    try {
      // The account starts unverified: the link goes to the address in the same transaction.
      const id = await members.register(input, 'member', { verifyOrigin: await app.siteOrigin(request) })
      // A new member stays logged in as before (the form has no 自动登录 box).
      await startSession(request, id, app.clock.now(), true)
      return await reply.redirect(returnTo, 303)
    } catch (err) {
      if (!(err instanceof FormError)) throw err
      reply.code(400)
      // The form keeps what was typed, never the passwords.
      return await reply.render('members/register.njk', { returnTo, form: { username: input.username, email: input.email }, errors: err.fields, captcha: await registerCaptcha() })
    }
  })

  // ---- profile (空间) and its legacy Discuz URLs ----

  r.get('/user/:uid', { schema: { params: UidParams } }, async (request, reply) => {
    const profile = await app.memberProfiles.get(parseId(request.params.uid))
    if (profile === null) throw notFound('抱歉，您指定的用户空间不存在')
    // The moderation links show only to someone the permission module lets ban this member.
    const canBan = app.can(request.user, { action: 'ban', target: { id: profile.id, role: profile.role } })
    return await reply.render('members/profile.njk', { profile, canBan, flash: request.user?.id === profile.id ? takeFlash(request) : null })
  })

  // /home.php belongs to the legacy-URL plugin (other features answer other home.php forms; its route
  // declares the query it takes).
  app.legacyUrls.add('home.php', (query) => {
    const uid = queryValue(query, 'uid')
    return queryValue(query, 'mod') === 'space' && uid !== undefined && /^[1-9]\d{0,9}$/.test(uid) ? `/user/${uid}` : null
  })

  r.get('/space-uid-:uid.html', { schema: { params: UidParams } }, async (request, reply) => {
    return await reply.redirect(`/user/${parseId(request.params.uid)}`, 301)
  })

  // Discuz's rewrite form by name. Names are looked up as they are registered (NFKC, any case).
  r.get('/space-username-:name.html', { schema: { params: Type.Object({ name: Type.String({ maxLength: 200 }) }) } }, async (request, reply) => {
    const id = await members.idByUsername(request.params.name)
    if (id === null) throw legacyNotFound()
    return await reply.redirect(`/user/${id}`, 301)
  })

  // ---- settings ----

  const renderSettings = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> => {
    const user = request.user
    if (user === null) throw new HttpError(401, '您需要先登录才能继续本操作')
    return await reply.render('members/settings.njk', {
      currentEmail: await members.emailOf(user.id), emailVerified: await members.emailVerified(user.id), errors: {}, form: {}, active: null, flash: takeFlash(request), ...extra
    })
  }

  // The settings page takes no query (anything sent is ignored, as on every page).
  r.get('/settings', async (request, reply) => {
    if (request.user === null) return await reply.redirect('/login?return=' + encodeURIComponent('/settings'), 303)
    return await renderSettings(request, reply)
  })

  r.post('/settings', {
    schema: { body: SettingsBody },
    config: { rateLimit: RATE_LIMITS.settings }
  }, async (request, reply) => {
    const user = request.user
    if (user === null) return await reply.redirect('/login?return=' + encodeURIComponent('/settings'), 303)
    const body = request.body
    try {
      if (body.form === 'password') {
        await members.changePassword(user.id, request.session.sessionId, {
          oldPassword: body.oldPassword ?? '', password: body.password ?? '', password2: body.password2 ?? ''
        })
        request.session.flash = messages.passwordChanged
      } else if (body.form === 'email') {
        await members.changeEmail(user.id, { email: body.email ?? '', password: body.emailPassword ?? '' }, { verifyOrigin: await app.siteOrigin(request) })
        request.session.flash = `${messages.emailChanged}。${linkMessages.verifySent}`
      } else {
        throw new HttpError(400, '请求有误')
      }
      return await reply.redirect('/settings', 303)
    } catch (err) {
      if (!(err instanceof FormError)) throw err
      reply.code(400)
      return await renderSettings(request, reply, { errors: err.fields, active: body.form, form: { email: body.email ?? '' } })
    }
  })
}
