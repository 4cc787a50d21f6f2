/**
 * `npm run screenshots`: the demo site in Debian's chromium, each main page at 1280 px (desktop) and
 * 390 px (a phone), into docs/screenshots/<page>-<width>.png. It seeds the demo into a scratch SQLite
 * database in a temporary directory (never data/), serves it on a free local port and removes it after.
 * The pictures are quantized to a 64-colour palette, so the README's few stay small in git.
 * CHROMIUM_PATH picks another browser binary; SCREENSHOTS_DIR another output directory.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { chromium } from 'playwright-core'
import { buildApp } from '../src/app'
import { loadConfig } from '../src/config'
import { createKnex, migrationConfig } from '../src/db/knex'
import { seedDemo } from '../src/seeds/demo'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUT = process.env.SCREENSHOTS_DIR ?? path.join(__dirname, '..', 'docs', 'screenshots')
const WIDTHS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }]

async function main (): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'luntan-shots-'))
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: `sqlite:${path.join(scratch, 'demo.sqlite3')}`, UPLOADS_DIR: path.join(scratch, 'uploads'), BCRYPT_COST: '4' })
  const knex = createKnex(config.database)
  await knex.migrate.latest(migrationConfig)
  await seedDemo(knex, config)
  // One row in 小黑屋, so its picture shows the table (the demo has no bans).
  const staff = await knex('users').where({ role: 'admin' }).first<{ id: number }>('id')
  const member = await knex('users').where({ role: 'member' }).orderBy('id').first<{ id: number }>('id')
  const now = Math.floor(Date.now() / 1000)
  await knex('bans').insert({ user_id: member.id, type: 'post', reason: '多次发布广告链接，禁言一周', created_at: now - 3600, expires_at: now + 6 * 86400, moderator_id: staff.id })
  const app = await buildApp(config, { knex, guestCacheMs: 0 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const article = await knex('articles').where({ status: 'published' }).whereNotNull('cover_url').orderBy('id').first<{ id: number, category_id: number }>('id', 'category_id')
  const thread = await knex('threads').orderBy('reply_count', 'desc').first<{ id: number, board_id: number }>('id', 'board_id')
  const pages: Record<string, string> = {
    home: '/',
    category: `/category/${article.category_id}`,
    article: `/article/${article.id}`,
    forum: '/forum',
    board: `/forum/${thread.board_id}`,
    thread: `/thread/${thread.id}`,
    darkroom: '/darkroom',
    archiver: `/archiver/aid-${article.id}.html`,
    register: '/register'
  }
  fs.mkdirSync(OUT, { recursive: true })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  try {
    for (const viewport of WIDTHS) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: viewport.width < 640, hasTouch: viewport.width < 640 })
      const page = await context.newPage()
      for (const [name, url] of Object.entries(pages)) {
        await page.goto(base + url, { waitUntil: 'networkidle' })
        const png = await page.screenshot({ fullPage: false })
        const file = path.join(OUT, `${name}-${viewport.width}.png`)
        await sharp(png).png({ palette: true, colours: 64, compressionLevel: 9, effort: 10 }).toFile(file)
        console.log(`${file} (${Math.round(fs.statSync(file).size / 1024)} KB)`)
      }
      await context.close()
    }
  } finally {
    await browser.close()
    await app.close()
    await knex.destroy()
    fs.rmSync(scratch, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
