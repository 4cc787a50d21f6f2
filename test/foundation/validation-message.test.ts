import { validationMessage } from '../../src/lib/validation-message'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken } from '../helpers/app'

describe('validationMessage', () => {
  it.each([
    [{ keyword: 'maxLength', instancePath: '/title', params: { limit: 80 } }, 'body', '表单中的“标题”过长（最多 80 个字符），请检查后重试'],
    [{ keyword: 'required', instancePath: '', params: { missingProperty: 'body' } }, 'body', '表单中的“内容”不能为空，请检查后重试'],
    [{ keyword: 'pattern', instancePath: '/aid', params: {} }, 'params', '网址中的“aid”格式不正确，请检查后重试'],
    [{ keyword: 'type', instancePath: '', params: {} }, 'body', '表单格式不正确，请检查后重试']
  ])('%j in %s → %s', (issue, context, expected) => {
    expect(validationMessage([issue], context)).toBe(expected)
  })
})

describe.each(dialects)('a request refused by its route schema on %s', (dialect) => {
  const ctx = useTestApp(dialect)

  it('gets the Chinese 400 page naming the field, or JSON naming it for JSON clients', async () => {
    // With a valid form token: the CSRF check comes first (a forged post is a 403, not a schema's 400).
    const agent = ctx.t.agent()
    const token = await csrfToken(agent)
    const page = await agent.post('/login').type('form').send({ _csrf: token, login: 'x'.repeat(300), password: 'whatever-password' })
    expect(page.status).toBe(400)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    expect(page.text).toContain('表单中的“用户名或邮箱”过长（最多 200 个字符）')

    const json = await agent.post('/login').set('Accept', 'application/json').type('form').send({ _csrf: token, login: 'x'.repeat(300), password: 'p' })
    expect(json.status).toBe(400)
    expect(json.body).toMatchObject({ statusCode: 400, field: 'login' })
    expect(String(json.body.error)).toContain('“用户名或邮箱”过长')
  })
})
