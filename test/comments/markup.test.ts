import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { login } from '../helpers/app'
import { createArticle, createCategory, createUser } from '../helpers/factories'
import { BROWSER } from '../forum/helpers'
import { postComment } from './helpers'

/**
 * Forms that an HTML parser would move out of their line: a <form> start tag closes an open <p>, so a
 * form written inside a <p> lands after it, on its own line (删除 under 引用 | 编辑). Returns the
 * offending forms' actions.
 */
function formsInsideParagraphs (html: string): string[] {
  const out: string[] = []
  let inP = false
  for (const m of html.matchAll(/<(\/?)(p|form)\b([^>]*)>/gi)) {
    const closing = m[1] === '/'
    const tag = (m[2] ?? '').toLowerCase()
    if (tag === 'p') inP = !closing
    else if (!closing && inP) out.push(/action="([^"]*)"/.exec(m[3] ?? '')?.[1] ?? '?')
  }
  return out
}

describe.each(dialects)('comment markup on %s', (dialect) => {
  const ctx = useTestApp(dialect)

  it('keeps the author\'s 引用 | 编辑 | 删除 on one line: no delete form inside a <p>, in the page and in the in-place answer', async () => {
    const author = await createUser(ctx.db.knex)
    const aid = await createArticle(ctx.db.knex, { categoryId: await createCategory(ctx.db.knex), authorId: (await createUser(ctx.db.knex)).id })
    const agent = await login(ctx.t.agent().set('User-Agent', BROWSER), author.username, author.password)
    const json = await postComment(agent, aid, { message: '我的评论' }, { json: true })
    expect(json.status).toBe(201)
    expect(String(json.body.html)).toContain('/delete')
    expect(formsInsideParagraphs(String(json.body.html))).toEqual([])
    for (const path of [`/article/${aid}`, `/article/${aid}/comments`]) {
      const page = await agent.get(path).expect(200)
      expect(page.text).toContain(`action="/comments/${String(json.body.id)}/delete"`)
      expect([path, formsInsideParagraphs(page.text)]).toEqual([path, []])
    }
  })
})
