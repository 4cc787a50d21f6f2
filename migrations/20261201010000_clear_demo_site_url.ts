import type { Knex } from 'knex'

// 站点网址 now outranks SITE_URL (src/lib/site-url.ts). The demo seed used to store the development
// address in it, which on a site seeded before would now point its sitemap, feeds and mail links at
// 127.0.0.1:3000 whatever SITE_URL says: that exact seeded value is cleared (blank means SITE_URL).
// An address an admin typed is left alone.
const SEEDED_DEMO_ADDRESS = 'http://127.0.0.1:3000'

export async function up (knex: Knex): Promise<void> {
  await knex('settings').where({ key: 'site_url', value: SEEDED_DEMO_ADDRESS }).update({ value: '' })
}

export async function down (): Promise<void> {
  // Nothing to restore: a blank 站点网址 and the old seeded one both meant SITE_URL before this change.
}
