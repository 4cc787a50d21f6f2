import { dialects, countRows } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { csrfFrom, login } from '../helpers/app'
import { createArticle, createCategory, createUser, banUser } from '../helpers/factories'
import { verifyPassword } from '../../src/features/members/password'

describe.each(dialects)('profile and settings on %s', (dialect) => {
  const ctx = useTestApp(dialect, { perTest: true })

  it('shows a public profile: name, role, join date, article and post counts, latest articles', async () => {
    const u = await createUser(ctx.db.knex, { username: 'writer', role: 'moderator', createdAt: 1700000000 })
    await ctx.db.knex('users').where({ id: u.id }).update({ post_count: 42 })
    const cat = await createCategory(ctx.db.knex)
    await createArticle(ctx.db.knex, { categoryId: cat, authorId: u.id, title: '已发表的文章' })
    await createArticle(ctx.db.knex, { categoryId: cat, authorId: u.id, title: '另一篇<b>文章</b>' })
    await createArticle(ctx.db.knex, { categoryId: cat, authorId: u.id, title: '草稿文章', status: 'draft' })
    const res = await ctx.t.agent().get(`/user/${u.id}`).expect(200)
    expect(res.text).toContain('writer')
    expect(res.text).toContain('版主')
    expect(res.text).toContain('2023-11-15 06:13') // 1700000000 in GMT+8, Discuz format
    expect(res.text).toMatch(/文章数 <strong>2<\/strong>/)
    expect(res.text).toMatch(/帖子数 <strong>42<\/strong>/)
    expect(res.text).toContain('已发表的文章')
    expect(res.text).toContain('另一篇&lt;b&gt;文章&lt;/b&gt;')
    expect(res.text).not.toContain('草稿文章')
    expect(res.text).not.toContain('禁止')
  })

  it('shows an active ban on the profile, and not an expired one', async () => {
    const u = await createUser(ctx.db.knex, { username: 'naughty' })
    await banUser(ctx.db.knex, u.id, { type: 'post', until: ctx.t.clock.now() + 3600, reason: '灌水' })
    const res = await ctx.t.agent().get(`/user/${u.id}`).expect(200)
    expect(res.text).toContain('该用户已被禁止发言')
    expect(res.text).toContain('灌水')
    ctx.t.clock.advance(3601)
    expect((await ctx.t.agent().get(`/user/${u.id}`)).text).not.toContain('禁止发言')
  })

  it('lets another feature contribute a count and a list (provider registry)', async () => {
    const u = await createUser(ctx.db.knex, { username: 'commenter' })
    ctx.t.app.memberProfiles.addProvider({
      name: 'comments-test',
      stats: async () => [{ label: '评论数', value: 7, order: 30 }],
      recent: async () => ({ title: '最新评论', order: 30, items: [{ title: '说得好', url: '/article/1#c1', at: 1700000000 }] })
    })
    ctx.t.app.memberProfiles.addProvider({ name: 'broken', stats: async () => { throw new Error('boom') } })
    const res = await ctx.t.agent().get(`/user/${u.id}`).expect(200)
    expect(res.text).toMatch(/评论数 <strong>7<\/strong>/)
    expect(res.text).toContain('最新评论')
    expect(res.text).toContain('说得好')
  })

  it('answers unknown and non-numeric uids with a Chinese 404', async () => {
    for (const path of ['/user/999999', '/user/abc', '/user/0', '/user/1e3']) {
      const res = await ctx.t.agent().get(path)
      expect(res.status).toBe(404)
      expect(res.text).toContain('抱歉')
    }
  })

  it('redirects the legacy Discuz space URLs with 301', async () => {
    const a = ctx.t.agent()
    const r1 = await a.get('/home.php?mod=space&uid=7').expect(301)
    expect(r1.headers.location).toBe('/user/7')
    const r2 = await a.get('/space-uid-8.html').expect(301)
    expect(r2.headers.location).toBe('/user/8')
    await a.get('/home.php?mod=space&uid=x').expect(404)
    await a.get('/home.php?mod=other&uid=7').expect(404)
    await a.get('/space-uid-abc.html').expect(404)
  })

  it('sends guests from /settings to the login page', async () => {
    const res = await ctx.t.agent().get('/settings').expect(303)
    expect(res.headers.location).toBe('/login?return=%2Fsettings')
  })

  it('changes the password: old one required, other sessions end, this one stays', async () => {
    const u = await createUser(ctx.db.knex, { username: 'changer' })
    const here = await login(ctx.t.agent(), 'changer', u.password)
    const elsewhere = await login(ctx.t.agent(), 'changer', u.password)
    const page = await here.get('/settings').expect(200)
    const token = csrfFrom(page.text)

    const wrongOld = await here.post('/settings').type('form').send({ _csrf: token, form: 'password', oldPassword: 'nope-nope', password: 'brand-new-pass', password2: 'brand-new-pass' })
    expect(wrongOld.status).toBe(400)
    expect(wrongOld.text).toContain('原密码不正确')
    const mismatch = await here.post('/settings').type('form').send({ _csrf: token, form: 'password', oldPassword: u.password, password: 'brand-new-pass', password2: 'brand-new-pasX' })
    expect(mismatch.text).toContain('两次输入的密码不一致')
    const short = await here.post('/settings').type('form').send({ _csrf: token, form: 'password', oldPassword: u.password, password: 'short', password2: 'short' })
    expect(short.text).toContain('密码太短')
    expect((await elsewhere.get('/settings')).status).toBe(200)

    const ok = await here.post('/settings').type('form').send({ _csrf: token, form: 'password', oldPassword: u.password, password: 'brand-new-pass', password2: 'brand-new-pass' })
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe('/settings')
    const after = await here.get('/settings').expect(200)
    expect(after.text).toContain('密码已修改')
    // The flash is shown once.
    expect((await here.get('/settings')).text).not.toContain('密码已修改')
    expect((await elsewhere.get('/settings')).status).toBe(303)
    const row = await ctx.db.knex('users').where({ id: u.id }).first()
    expect(await verifyPassword('brand-new-pass', String(row.password_hash))).toBe(true)
    await login(ctx.t.agent(), 'changer', 'brand-new-pass')
  })

  it('changes the e-mail: validated, unique, password checked', async () => {
    const u = await createUser(ctx.db.knex, { username: 'mailer' })
    await createUser(ctx.db.knex, { username: 'other', email: 'taken@example.com' })
    const a = await login(ctx.t.agent(), 'mailer', u.password)
    const token = csrfFrom((await a.get('/settings')).text)
    const send = async (email: string, emailPassword = u.password) =>
      await a.post('/settings').type('form').send({ _csrf: token, form: 'email', email, emailPassword })
    const bad = await send('not-an-email')
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Email 地址无效')
    expect(bad.text).toContain('value="not-an-email"')
    expect((await send('TAKEN@example.com')).text).toContain('该 Email 地址已被注册')
    expect((await send('fresh@example.com', 'wrong-password')).text).toContain('原密码不正确')
    const ok = await send('fresh@example.com')
    expect(ok.status).toBe(303)
    expect((await a.get('/settings')).text).toContain('Email 地址已修改')
    expect((await ctx.db.knex('users').where({ id: u.id }).first()).email).toBe('fresh@example.com')
  })

  it('refuses settings POSTs without or with a wrong CSRF token and changes nothing', async () => {
    const u = await createUser(ctx.db.knex, { username: 'csrfvictim' })
    const a = await login(ctx.t.agent(), 'csrfvictim', u.password)
    const before = await ctx.db.knex('users').where({ id: u.id }).first()
    const body = { form: 'email', email: 'attacker@example.com', emailPassword: u.password }
    const none = await a.post('/settings').type('form').send(body)
    expect(none.status).toBe(403)
    expect(none.text).toContain('表单已过期或来源不明')
    await a.post('/settings').type('form').send({ ...body, _csrf: 'forged-token' }).expect(403)
    await a.post('/settings').type('form').send({ _csrf: 'forged', form: 'password', oldPassword: u.password, password: 'hijacked-pass', password2: 'hijacked-pass' }).expect(403)
    const after = await ctx.db.knex('users').where({ id: u.id }).first()
    expect(after.email).toBe(before.email)
    expect(after.password_hash).toBe(before.password_hash)
  })

  it('refuses an oversized settings field with the Chinese 400 naming it, and changes nothing', async () => {
    const u = await createUser(ctx.db.knex, { username: 'longfield' })
    const a = await login(ctx.t.agent(), 'longfield', u.password)
    const page = await a.get('/settings').expect(200)
    const res = await a.post('/settings').type('form')
      .send({ _csrf: csrfFrom(page.text), form: 'password', oldPassword: 'x'.repeat(201), password: 'new-pass-123', password2: 'new-pass-123' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('表单中的“原密码”过长（最多 200 个字符）')
    const after = await ctx.db.knex('users').where({ id: u.id }).first()
    expect(await verifyPassword(u.password, after.password_hash)).toBe(true)
    // JSON clients get the field by name.
    const json = await a.post('/settings').set('Accept', 'application/json').type('form')
      .send({ _csrf: csrfFrom(page.text), form: 'email', email: 'a@example.com', emailPassword: 'y'.repeat(300) })
    expect(json.status).toBe(400)
    expect(json.body).toMatchObject({ statusCode: 400, field: 'emailPassword' })
  })

  it('stays lenient where it was: a repeated ?return=, unknown query parameters, a missing form field', async () => {
    await ctx.t.agent().get('/login?return=/a&return=/b&utm_source=x').expect(200)
    const reg = await ctx.t.agent().get('/register?return=/a&return=/b').expect(200)
    expect(reg.text).toContain('name="return" value="/"')
    const u = await createUser(ctx.db.knex, { username: 'lenient' })
    const a = await login(ctx.t.agent(), 'lenient', u.password)
    const page = await a.get('/settings?tab=x').expect(200)
    // No `form` field: the handler's own 请求有误 (400), as before the schema.
    const res = await a.post('/settings').type('form').send({ _csrf: csrfFrom(page.text) })
    expect(res.status).toBe(400)
    expect(res.text).toContain('请求有误')
  })

  it('refuses a registration POST without a CSRF token and creates nobody', async () => {
    const before = await countRows(ctx.db.knex, 'users')
    await ctx.t.agent().post('/register').type('form').send({ username: 'sneaky', password: 'secret-pass-1', password2: 'secret-pass-1', email: 's@example.com' }).expect(403)
    expect(await countRows(ctx.db.knex, 'users')).toBe(before)
  })
})
