import type supertest from 'supertest'
import { csrfToken } from '../helpers/app'

/** A form body as the browser sends it: repeated fields as repeated keys (superagent would write `a[0]=`). */
export function formBody (fields: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(fields.map(([k, v]): [string, string] => [k, v])).toString()
}

export const VALID_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['site_name', '濠江社区'],
  ['site_url', 'https://bbs.example.com'],
  ['site_hotline', '0754-8800 1234'],
  ['site_copyright', 'Copyright © 2026 濠江社区'],
  ['site_icp', '粤ICP备20260001号-1'],
  ['site_police_record', '粤公网安备 44050702000001号'],
  ['report_phone', '0754-8800 1110'],
  ['report_email', 'jubao@example.com'],
  ['link_label', '关于我们'], ['link_url', '/page/about'],
  ['link_label', '小黑屋'], ['link_url', '/darkroom'],
  ['link_label', ''], ['link_url', ''],
  ['registration_open', '1'],
  ['darkroom_enabled', '1'],
  ['archiver_enabled', '1'],
  ['comment_max_length', '1000'],
  ['reactions_daily_cap', '50'],
  ['view_dedupe_hours', '8'],
  ['flood_interval', '15'],
  ['new_member_flood_interval', '30'],
  ['new_member_silence', '120'],
  ['new_member_link_review_count', '3'],
  ['search_per_minute', '10'],
  ['captcha_login_failures', '3']
]

/** VALID_SETTINGS with some fields replaced (a field given '\u0000drop' is left out, e.g. an unticked box). */
export function settingsWith (overrides: Record<string, string>): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = VALID_SETTINGS.filter(([k]) => !(k in overrides))
  for (const [k, v] of Object.entries(overrides)) if (v !== '\u0000drop') out.push([k, v])
  return out
}

export async function postSettings (agent: supertest.Agent, fields: ReadonlyArray<readonly [string, string]>): Promise<supertest.Response> {
  const token = await csrfToken(agent, '/')
  return await agent.post('/admin/settings').type('form').send(formBody([['_csrf', token], ...fields]))
}
