import fp from 'fastify-plugin'
import { badRequest } from '../lib/http-errors'
import { bodyHasForbiddenControl } from '../lib/control-chars'

/**
 * One gate for every user text field (titles, bodies, comments, usernames, ban reasons, settings,
 * the word list): a body carrying NUL, another C0 control but tab/newline/CR, or a lone surrogate
 * is refused with a 400 before any handler runs, so nothing is stored or echoed. Refused rather
 * than stripped: the member sees their text was not taken as typed. A preHandler registered after
 * auth, so the error page still shows the member logged in.
 */
export const messages = {
  controlChars: '提交的内容含有不允许的控制字符（如 NUL），请删除后重新提交'
} as const

export default fp(async (app) => {
  app.addHook('preHandler', async (request) => {
    if (request.body !== undefined && bodyHasForbiddenControl(request.body)) throw badRequest(messages.controlChars)
  })
}, { name: 'input-text', dependencies: ['auth'] })
