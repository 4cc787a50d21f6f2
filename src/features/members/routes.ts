import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from '../../lib/http-errors'
import { membersService } from './service'

/** Only same-site paths: `/x`, never `//host` or `/\host` (no open redirect). */
export function safeReturnPath (raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/'
  if (/[\r\n]/.test(raw)) return '/'
  return raw
}

interface LoginBody { login?: string, password?: string, return?: string }

async function regenerate (request: FastifyRequest): Promise<void> {
  await request.session.regenerate()
}

export default async function membersRoutes (app: FastifyInstance): Promise<void> {
  const service = membersService(app.db, app.clock)

  app.get<{ Querystring: { return?: string } }>('/login', async (request, reply) => {
    if (request.user !== null) return reply.redirect(safeReturnPath(request.query.return), 303)
    return reply.render('members/login.njk', { returnTo: safeReturnPath(request.query.return), form: {} })
  })

  app.post<{ Body: LoginBody }>('/login', {
    config: { rateLimit: { max: 30, timeWindow: '1 minute' } }
  }, async (request, reply) => {
    const body = request.body ?? {}
    const login = typeof body.login === 'string' ? body.login : ''
    const password = typeof body.password === 'string' ? body.password : ''
    const returnTo = safeReturnPath(body.return)
    try {
      const user = await service.authenticate(login, password)
      // A new session id at login: a session fixed by an attacker before login is worthless.
      await regenerate(request)
      request.session.userId = user.id
      request.session.loginAt = app.clock.now()
      return await reply.redirect(returnTo, 303)
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) {
        reply.code(400)
        return await reply.render('members/login.njk', { returnTo, form: { login }, error: err.message })
      }
      throw err
    }
  })

  app.post('/logout', async (request, reply) => {
    await request.session.destroy()
    return await reply.redirect('/', 303)
  })
}
