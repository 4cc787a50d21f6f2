import { ConfigError, loadConfig } from '../../src/config'

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const c = loadConfig({})
    expect(c.port).toBe(3000)
    expect(c.host).toBe('127.0.0.1')
    expect(c.database).toEqual({ client: 'sqlite', filename: 'data/luntan.sqlite3' })
    expect(c.siteTimezone).toBe('Asia/Shanghai')
    expect(c.databaseTimeoutMs).toBe(1000)
    expect(Object.isFrozen(c)).toBe(true)
  })

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'postgres://x/y' }, /DATABASE_URL/],
    [{ DATABASE_URL: 'mysql://host' }, /database name/],
    [{ SITE_TIMEZONE: 'Mars/Olympus' }, /SITE_TIMEZONE/],
    [{ NODE_ENV: 'production' }, /SESSION_SECRET/],
    [{ SESSION_SECRET: 'short' }, /SESSION_SECRET/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ DATABASE_TIMEOUT_MS: '50' }, /DATABASE_TIMEOUT_MS/],
    [{ DATABASE_TIMEOUT_MS: '1s' }, /DATABASE_TIMEOUT_MS/]
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('accepts a MySQL URL', () => {
    const c = loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/luntan' })
    expect(c.database.client).toBe('mysql')
  })

  it('takes DATABASE_TIMEOUT_MS, the bound on each wait for MySQL', () => {
    expect(loadConfig({ DATABASE_TIMEOUT_MS: '2500' }).databaseTimeoutMs).toBe(2500)
  })
})
