/**
 * The block the server prints after its first start: the admin account's random password is shown
 * only this once, so it is framed and printed after every start-up log line, where a scrolling
 * terminal keeps it in view. Lines stay unframed on the right: a CJK character is two columns wide
 * in most terminals but not all, so a right border would not line up everywhere.
 */
export function firstRunBanner (admin: { username: string, password: string }, siteUrl: string): string {
  const rule = '='.repeat(64)
  return [
    rule,
    '  首次启动：已创建管理员账号（密码只显示这一次，请登录后修改）',
    '  First start: an admin account was created (the password is shown only this once)',
    '',
    `    用户名 username:  ${admin.username}`,
    `    密码   password:  ${admin.password}`,
    `    登录   log in:    ${siteUrl}login`,
    rule
  ].join('\n')
}
