import { applyRowOp, formFromSettings, isFooterUrl, parseRowOp, policeRecordCode, readPosted, settingsToStore, validateSettings } from '../../src/lib/site-settings-form'
import { SETTING_DEFAULTS } from '../../src/plugins/settings'

describe('the 站点设置 form (src/lib/site-settings-form.ts)', () => {
  it('accepts same-site paths and http(s) URLs as footer links, nothing else', () => {
    for (const ok of ['/page/about', '/?mobile=yes', '/archiver/', 'https://example.com/x', 'http://a.example.org']) expect({ ok, v: isFooterUrl(ok) }).toEqual({ ok, v: true })
    for (const bad of ['//evil.example.com', '/\\evil.example.com', 'javascript:alert(1)', 'JAVASCRIPT:x', 'data:text/html,x', 'page/about', '/a b', 'https://', '/x\n', 'mailto:a@b.c', '/' + 'a'.repeat(200)]) {
      expect({ bad, v: isFooterUrl(bad) }).toEqual({ bad, v: false })
    }
  })

  it('moves, deletes and ignores out-of-range row buttons', () => {
    const rows = [{ label: 'a', url: '/a' }, { label: 'b', url: '/b' }, { label: 'c', url: '/c' }]
    const labels = (op: string): string[] => applyRowOp(rows, parseRowOp(op) ?? { kind: 'delete', index: 99 }).map((r) => r.label)
    expect(labels('up:1')).toEqual(['b', 'a', 'c'])
    expect(labels('down:1')).toEqual(['a', 'c', 'b'])
    expect(labels('up:0')).toEqual(['a', 'b', 'c'])
    expect(labels('down:2')).toEqual(['a', 'b', 'c'])
    expect(labels('delete:2')).toEqual(['a', 'b'])
    expect(labels('delete:7')).toEqual(['a', 'b', 'c'])
    expect(parseRowOp('save')).toBeNull()
    expect(parseRowOp('up:-1')).toBeNull()
  })

  it('round-trips the defaults: the stored settings as a form are valid and store the same values', () => {
    const form = formFromSettings(SETTING_DEFAULTS)
    expect(validateSettings(form)).toEqual({})
    const stored = settingsToStore(form)
    for (const [key, value] of Object.entries(stored)) expect({ key, value }).toEqual({ key, value: SETTING_DEFAULTS[key as keyof typeof SETTING_DEFAULTS] })
  })

  it('reads repeated link fields, drops blank rows, and takes unticked boxes as off', () => {
    const form = readPosted({ link_label: ['甲', '', '  '], link_url: ['/a', '', ''], site_name: ' 名 ', registration_open: '1' })
    expect(form.links).toEqual([{ label: '甲', url: '/a' }])
    expect(form.values.site_name).toBe('名')
    expect(form.values.registration_open).toBe(true)
    expect(form.values.darkroom_enabled).toBe(false)
    expect(readPosted({ link_label: '乙', link_url: '/b' }).links).toEqual([{ label: '乙', url: '/b' }])
  })

  it('takes the digits of a 公安 record number for its query link', () => {
    expect(policeRecordCode('粤公网安备 44050702000001号')).toBe('44050702000001')
    expect(policeRecordCode('未备案')).toBe('')
  })
})
