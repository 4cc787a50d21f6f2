import type supertest from 'supertest'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createUser } from '../helpers/factories'
import { isSiteImageUrl, markdownMessages, renderBody, renderStoredBody } from '../../src/lib/markdown'
import { createGroupWithBoard } from '../forum/factories'
import { BROWSER } from '../forum/helpers'

describe('the remote-image rule of the Markdown renderer (src/lib/markdown.ts)', () => {
  it('accepts pictures on this site and refuses every other source at write time', () => {
    for (const ok of ['/uploads/ab/cd/x.jpg', '/static/img/logo.svg', ' /uploads/a.png']) expect([ok, isSiteImageUrl(ok)]).toEqual([ok, true])
    for (const remote of ['https://elsewhere.example/x.png', 'http://a/b.gif', '//cdn.example/x.png', '/\\evil.example/x.png', 'x.png', 'data:image/png;base64,AAAA', 'javascript:alert(1)', '']) {
      expect([remote, isSiteImageUrl(remote)]).toEqual([remote, false])
    }
    expect(renderBody('看图：\n\n![海](https://elsewhere.example/sea.png "海边")')).toEqual({ refusal: markdownMessages.remoteImage })
    expect(renderBody('![a][ref]\n\n[ref]: //cdn.example/a.png')).toEqual({ refusal: markdownMessages.remoteImage })
    expect(renderBody('> - 列表里 ![图](http://x.cn/y.png)')).toEqual({ refusal: markdownMessages.remoteImage })
    expect(renderBody('<img src="https://tracker.example/p.gif">')).toEqual({ refusal: markdownMessages.remoteImage })
    expect(renderBody("段落 <img alt='x' src='//tracker.example/p.gif'> 结束")).toEqual({ refusal: markdownMessages.remoteImage })
    const ok = renderBody('![港口](/uploads/ab/cd/abc-m.jpg "港口夜景")\n\n链接照旧可以：[外站](https://elsewhere.example/)')
    if ('refusal' in ok) throw new Error(ok.refusal)
    expect(ok.html).toContain('<img src="/uploads/ab/cd/abc-m.jpg" alt="港口" loading="lazy" decoding="async" />')
    expect(ok.html).toContain('href="https://elsewhere.example/"')
  })

  it('a body stored before the rule still shows: a remote picture as a link to it, raw remote <img> dropped, never an <img> the CSP blocks', () => {
    const shown = renderStoredBody('旧帖 ![海](https://elsewhere.example/sea.png "海边")\n\n<img src="https://tracker.example/p.gif">')
    expect(shown.html).not.toContain('<img')
    expect(shown.html).toContain('<a href="https://elsewhere.example/sea.png" rel="nofollow ugc noopener">[外部图片: 海边]</a>')
    expect(shown.html).toContain('旧帖')
  })
})

describe.each(dialects)('remote images in a forum post on %s', (dialect) => {
  const ctx = useTestApp(dialect)
  let agent: supertest.Agent
  let boardId: number

  beforeAll(async () => {
    boardId = (await createGroupWithBoard(ctx.db.knex, { boardName: '摄影' })).boardId
    const member = await createUser(ctx.db.knex)
    agent = await login(ctx.t.agent().set('User-Agent', BROWSER), member.username, member.password)
  })

  it('预览 and 发表 refuse a remote picture with the Chinese message, keeping the text in the form; nothing is stored', async () => {
    ctx.t.clock.advance(600)
    const form = await agent.get(`/forum/${boardId}/new`).expect(200)
    const body = '今天拍的：\n\n![日落](https://photos.example/sunset.jpg)'
    for (const extra of [{ preview: '1' }, {}]) {
      const res = await agent.post(`/forum/${boardId}/new`).type('form').send({ _csrf: csrfFrom(form.text), title: '日落', body, ...extra })
      expect(res.status).toBe(400)
      expect(res.text).toContain(markdownMessages.remoteImage)
    }
    expect(Number((await ctx.db.knex('threads').count<{ n: number | string }>({ n: '*' }).first())?.n)).toBe(0)
    // The same post with an uploaded picture's path is accepted.
    const ok = await agent.post(`/forum/${boardId}/new`).type('form')
      .send({ _csrf: csrfFrom(form.text), title: '日落', body: '今天拍的：\n\n![日落](/uploads/ab/cd/sunset-m.jpg)', preview: '1' }).expect(200)
    expect(ok.text).toContain('<img src="/uploads/ab/cd/sunset-m.jpg"')
  })
})
