import type supertest from 'supertest'
import { csrfToken } from '../helpers/app'

/** Posts an admin form the way a browser does, with the CSRF token of a page the agent can open (a guest: '/login'). */
export async function postForm (agent: supertest.Agent, path: string, fields: Record<string, string> = {}, tokenFrom = '/'): Promise<supertest.Response> {
  return await agent.post(path).type('form').send({ _csrf: await csrfToken(agent, tokenFrom), ...fields })
}
