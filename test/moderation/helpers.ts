import type supertest from 'supertest'
import { csrfToken } from '../helpers/app'

/** Submits the ban form as `agent` (a logged-in moderator or admin). The CSRF token comes from the header's logout form. */
export async function postBan (agent: supertest.Agent, uid: number, fields: Record<string, string>): Promise<supertest.Response> {
  const token = await csrfToken(agent, '/darkroom')
  return await agent.post(`/mod/ban/${uid}`).type('form').send({ _csrf: token, type: 'post', duration: '7', reason: '违反版规', ...fields })
}

export async function postUnban (agent: supertest.Agent, uid: number, reason: string): Promise<supertest.Response> {
  const token = await csrfToken(agent, '/darkroom')
  return await agent.post(`/mod/unban/${uid}`).type('form').send({ _csrf: token, reason })
}
