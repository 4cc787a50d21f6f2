import type supertest from 'supertest'
import { csrfFrom, type TestApp } from '../helpers/app'

export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

// Past any flood interval the anti-abuse rules may set, so each helper post is accepted on its own merits.
const BETWEEN_POSTS_SECONDS = 600

/** Opens a thread through the form; returns the thread id. */
export async function postThread (t: TestApp, agent: supertest.Agent, boardId: number, title: string, body = '楼主的正文。'): Promise<number> {
  t.clock.advance(BETWEEN_POSTS_SECONDS)
  const form = await agent.get(`/forum/${boardId}/new`).expect(200)
  const res = await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title, body })
  if (res.status !== 303) throw new Error(`new thread failed with ${res.status}: ${res.text.slice(0, 500)}`)
  const m = /^\/thread\/(\d+)$/.exec(String(res.headers.location))
  if (m?.[1] === undefined) throw new Error(`unexpected redirect ${String(res.headers.location)}`)
  return Number(m[1])
}

/** Replies through the quick-reply form; returns the redirect location. */
export async function postReply (t: TestApp, agent: supertest.Agent, threadId: number, body: string): Promise<string> {
  t.clock.advance(BETWEEN_POSTS_SECONDS)
  const res = await sendReply(agent, threadId, body)
  if (res.status !== 303) throw new Error(`reply failed with ${res.status}: ${res.text.slice(0, 500)}`)
  return String(res.headers.location)
}

/** Posts a reply and returns the raw response (for tests expecting a refusal). */
export async function sendReply (agent: supertest.Agent, threadId: number, body: string): Promise<supertest.Response> {
  const token = await pageToken(agent, '/forum')
  return await agent.post(`/thread/${threadId}/reply`).type('form').send({ _csrf: token, body })
}

/** A CSRF token for the agent's session, from any page with a form (the header's logout form for members). */
export async function pageToken (agent: supertest.Agent, path: string): Promise<string> {
  const page = await agent.get(path)
  return csrfFrom(page.text)
}

export async function staffPost (agent: supertest.Agent, path: string, fields: Record<string, string> = {}): Promise<supertest.Response> {
  const token = await pageToken(agent, '/forum')
  return await agent.post(path).type('form').send({ _csrf: token, ...fields })
}
