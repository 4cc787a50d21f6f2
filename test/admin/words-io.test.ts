import type supertest from 'supertest'
import { auditLog } from '../../src/features/moderation/audit'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfToken, login, LOCAL_CLIENTS_UNLIMITED } from '../helpers/app'
import { createUser, type CreatedUser } from '../helpers/factories'

interface Word { word: string, action: string, replacement: string }

describe.each(dialects)('屏蔽词 import/export in the admin centre on %s', (dialect) => {
  const ctx = useTestApp(dialect, { app: { env: LOCAL_CLIENTS_UNLIMITED } })
  let admin: CreatedUser
  let agent: supertest.Agent

  beforeAll(async () => {
    admin = await createUser(ctx.db.knex, { role: 'admin' })
    agent = await login(ctx.t.agent(), admin.username, admin.password)
  })

  async function words (): Promise<Word[]> {
    return await ctx.db.knex('word_filters').orderBy('id').select('word', 'action', 'replacement')
  }
  async function importText (lines: string, op: 'preview' | 'apply', who: supertest.Agent = agent): Promise<supertest.Response> {
    return await who.post('/admin/words/import').type('form').send({ _csrf: await csrfToken(who, '/'), lines, op })
  }

  it('shows the list inside the admin layout, 屏蔽词 the current menu item', async () => {
    const res = await agent.get('/admin/words').expect(200)
    expect(res.text).toContain('class="admin-menu"')
    expect(res.text).toContain('<a href="/admin/words" aria-current="page">屏蔽词</a>')
    expect(res.text).toContain('action="/admin/words/import#import"')
  })

  it('previews without saving, then applies every line in one audited transaction (English and Chinese actions, = inside a word)', async () => {
    const text = '# 导入测试\n广告=moderate\n\n脏话=replace=**\n违禁=block\n刷单=替换=好评\n代开=审核\na=b=block\n'
    const preview = await importText(text, 'preview')
    expect(preview.status).toBe(200)
    expect(preview.text).toContain('预览：共 6 行可以导入')
    expect(preview.text).toContain('value="apply"')
    expect(await words()).toEqual([])
    const applied = await importText(text, 'apply')
    expect(applied.status).toBe(303)
    expect(applied.headers.location).toBe('/admin/words?imported=6')
    expect(await words()).toEqual([
      { word: '广告', action: 'moderate', replacement: '**' },
      { word: '脏话', action: 'replace', replacement: '**' },
      { word: '违禁', action: 'block', replacement: '**' },
      { word: '刷单', action: 'replace', replacement: '好评' },
      { word: '代开', action: 'moderate', replacement: '**' },
      { word: 'a=b', action: 'block', replacement: '**' }
    ])
    expect((await agent.get('/admin/words?imported=6').expect(200)).text).toContain('已导入 6 个屏蔽词')
    const [row] = await auditLog(ctx.db.knex).list({ action: 'words_import' }, 1)
    expect(row?.actor_id).toBe(admin.id)
    expect(JSON.parse(row?.before_state ?? 'null')).toEqual([])
    expect(JSON.parse(row?.after_state ?? 'null')).toEqual(['广告=moderate', '脏话=replace=**', '违禁=block', '刷单=replace=好评', '代开=moderate', 'a=b=block'])
    // The matcher follows at once: a comment check sees the imported words.
    expect((await ctx.t.app.antiAbuse.scanWords('这是广告和刷单')).text).toBe('这是广告和好评')
  })

  it('updates existing words on a second import, with their old state as the audit before', async () => {
    expect((await importText('广告=block\n新词=moderate', 'apply')).status).toBe(303)
    expect((await words()).find((w) => w.word === '广告')?.action).toBe('block')
    const [row] = await auditLog(ctx.db.knex).list({ action: 'words_import' }, 1)
    expect(JSON.parse(row?.before_state ?? 'null')).toEqual(['广告=moderate'])
  })

  it('names every bad line and saves nothing when one is bad', async () => {
    const before = await words()
    const audits = (await auditLog(ctx.db.knex).list({}, 100)).length
    const text = ['好词=block', '没有动作', '=block', '坏词=delete', '屏蔽=block=多余', `${'长'.repeat(101)}=block`, '好词=moderate'].join('\n')
    const res = await importText(text, 'apply')
    expect(res.status).toBe(400)
    expect(res.text).toContain('有 6 行有误，未导入任何词语')
    expect(res.text).toContain('第 2 行「没有动作」：缺少处理方式')
    expect(res.text).toContain('第 3 行「=block」：词语为空')
    expect(res.text).toContain('第 4 行「坏词=delete」：缺少处理方式')
    expect(res.text).toContain('第 5 行「屏蔽=block=多余」：只有 replace（替换）可以带替换内容')
    expect(res.text).toContain('第 6 行')
    expect(res.text).toContain('词语超过 100 个字符')
    expect(res.text).toContain('第 7 行「好词=moderate」：与第 1 行的词语重复')
    expect(res.text).not.toContain('value="apply"')
    expect(res.text).toContain('没有动作') // what was typed is kept in the textarea
    expect(await words()).toEqual(before)
    expect((await auditLog(ctx.db.knex).list({}, 100)).length).toBe(audits)
    const empty = await importText('\n# 只有注释\n', 'apply')
    expect(empty.status).toBe(400)
    expect(empty.text).toContain('没有可导入的词语')
  })

  it('exports the list as a text/plain download that imports back to the same list', async () => {
    const res = await agent.get('/admin/words/export.txt').expect(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="words.txt"')
    const lines = res.text.trimEnd().split('\n')
    expect(lines).toContain('刷单=replace=好评')
    expect(lines).toContain('a=b=block')
    expect(lines).toContain('广告=block')
    const before = await words()
    expect((await importText(res.text, 'apply')).status).toBe(303)
    expect(await words()).toEqual(before)
  })

  it('audits a single word added, changed and deleted from the list form, with before/after', async () => {
    const post = async (path: string, fields: Record<string, string>): Promise<supertest.Response> =>
      await agent.post(path).type('form').send({ _csrf: await csrfToken(agent, '/'), ...fields })
    expect((await post('/admin/words', { word: '单加', action: 'block' })).status).toBe(303)
    expect((await post('/admin/words', { word: '单加', action: 'replace', replacement: '好' })).status).toBe(303)
    const saves = await auditLog(ctx.db.knex).list({ action: 'word_save' }, 2)
    expect(saves.map((r) => [JSON.parse(r.before_state ?? 'null'), JSON.parse(r.after_state ?? 'null')])).toEqual([
      ['单加=block', '单加=replace=好'],
      [null, '单加=block']
    ])
    const row = await ctx.db.knex('word_filters').where('word', '单加').first<{ id: number }>('id')
    expect((await post(`/admin/words/${row?.id ?? 0}/delete`, {})).status).toBe(303)
    const [deleted] = await auditLog(ctx.db.knex).list({ action: 'word_delete' }, 1)
    expect(deleted?.target_id).toBe(row?.id)
    expect(JSON.parse(deleted?.before_state ?? 'null')).toBe('单加=replace=好')
    expect(await ctx.db.knex('word_filters').where('word', '单加').first()).toBeUndefined()
    expect((await post(`/admin/words/${row?.id ?? 0}/delete`, {})).status).toBe(404)
  })

  it.each(['guest', 'member', 'moderator'] as const)('refuses a %s the export and the import, changing nothing', async (who) => {
    const user = who === 'guest' ? null : await createUser(ctx.db.knex, { role: who === 'moderator' ? 'moderator' : 'member' })
    const a = user === null ? ctx.t.agent() : await login(ctx.t.agent(), user.username, user.password)
    const expected = who === 'guest' ? 401 : 403
    expect((await a.get('/admin/words/export.txt')).status).toBe(expected)
    expect((await a.get('/admin/words')).status).toBe(expected)
    const before = await words()
    const token = await csrfToken(a, who === 'guest' ? '/login' : '/')
    expect((await a.post('/admin/words/import').type('form').send({ _csrf: token, lines: '坏=block', op: 'apply' })).status).toBe(expected)
    expect(await words()).toEqual(before)
  })

  it('refuses an import without its CSRF token', async () => {
    const before = await words()
    expect((await agent.post('/admin/words/import').type('form').send({ lines: '坏=block', op: 'apply' })).status).toBe(403)
    expect(await words()).toEqual(before)
  })
})
