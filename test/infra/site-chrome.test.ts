import fs from 'node:fs'
import path from 'node:path'
import { seedDemo } from '../../src/seeds/demo'
import { dialects } from '../helpers/database'
import { useTestApp } from '../helpers/use-test-app'
import { testConfig } from '../helpers/app'

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36'

describe.each(dialects)('the demo site\'s chrome: favicon and footer links on %s', (dialect) => {
  const ctx = useTestApp(dialect, { seed: async (db) => { await seedDemo(db.knex, testConfig(db)) } })

  it('serves /favicon.ico (the logo as an icon) with a long cache, and the layout links it', async () => {
    const res = await ctx.t.agent().get('/favicon.ico').set('User-Agent', BROWSER).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c))
      r.on('end', () => { done(null, Buffer.concat(chunks)) })
    }).expect(200)
    expect(res.headers['content-type']).toBe('image/x-icon')
    expect(res.headers['cache-control']).toMatch(/max-age=(\d{7,})/)
    const body = res.body as Buffer
    expect(body.equals(fs.readFileSync(path.join(__dirname, '..', '..', 'static', 'favicon.ico')))).toBe(true)
    expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0]) // an ICO header
    const home = await ctx.t.agent().get('/').set('User-Agent', BROWSER).expect(200)
    expect(home.text).toContain('<link rel="icon" href="/favicon.ico"')
    await ctx.t.agent().get('/static/img/logo.svg').expect(200)
  })

  it('links only pages that answer from the demo footer (200, or a 301 or 302 to a 200)', async () => {
    const home = await ctx.t.agent().get('/').set('User-Agent', BROWSER).expect(200)
    const footer = /<div id="ft"[\s\S]*?<\/div>/.exec(home.text)?.[0] ?? ''
    const links = [...footer.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replace(/&amp;/g, '&')).filter((href) => !href.startsWith('mailto:'))
      // The ICP and 公安 record numbers link to the government filing sites, as the law asks.
      .filter((href) => !href.startsWith('https://beian.miit.gov.cn/') && !href.startsWith('https://beian.mps.gov.cn/'))
    expect(links.length).toBeGreaterThanOrEqual(3)
    for (const href of links) {
      expect(href).toMatch(/^\//) // on this site
      let res = await ctx.t.agent().get(href).set('User-Agent', BROWSER)
      // 301: a Discuz URL's new home; 302: the 手机版 switch (a cookie, then the same page).
      if (res.status === 301 || res.status === 302) res = await ctx.t.agent().get(String(res.headers.location)).set('User-Agent', BROWSER)
      expect({ href, status: res.status }).toEqual({ href, status: 200 })
    }
  })
})
