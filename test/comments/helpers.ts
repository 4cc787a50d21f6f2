import type supertest from 'supertest'
import { csrfFrom } from '../helpers/app'

/** Posts a quick comment the way the no-JS form does (token from the article page or, without a form there, the login page). */
export async function postComment (agent: supertest.Agent, aid: number, fields: Record<string, string>, options: { json?: boolean } = {}): Promise<supertest.Response> {
  const page = await agent.get(`/article/${aid}`)
  const token = /name="_csrf" value="([^"]+)"/.test(page.text) ? csrfFrom(page.text) : csrfFrom((await agent.get('/login')).text)
  const req = agent.post(`/article/${aid}/comments`).type('form')
  if (options.json === true) void req.set('Accept', 'application/json')
  return await req.send({ _csrf: token, ...fields })
}

export function commentIdFrom (res: supertest.Response): number {
  const m = /#comment-(\d+)$/.exec(String(res.headers.location))
  if (m?.[1] === undefined) throw new Error(`no comment anchor in ${String(res.headers.location)} (status ${res.status})`)
  return Number(m[1])
}
