import { linkMentions, mentionedNames, quotedName } from '../../src/lib/mentions'
import { normalizeSignature, signatureHtml } from '../../src/lib/signature'
import { avatarColour, defaultAvatarSvg } from '../../src/lib/avatar'

describe('@mentions', () => {
  it('finds distinct names in order, skips e-mail addresses and quoted lines, stops at ten', () => {
    expect(mentionedNames('@张三 你好 @李四，还有 @张三 和 a@b.com')).toEqual(['张三', '李四'])
    expect(mentionedNames('> @旧人 说过\n@新人 来')).toEqual(['新人'])
    expect(mentionedNames(Array.from({ length: 12 }, (_, i) => `@u${i}`).join(' '))).toHaveLength(10)
    expect(mentionedNames('看 @tom. 和 @jerry!')).toEqual(['tom', 'jerry'])
  })

  it('reads the author of our own quote formats', () => {
    expect(quotedName('> **小明** 发表于 2026-11-30 10:00\n> 原文\n\n回复')).toBe('小明')
    expect(quotedName('> 小红 的评论：写得好\n我也觉得')).toBe('小红')
    expect(quotedName('没有引用')).toBeNull()
  })

  it('links mentions in text only: not in links, code or quotes, at most ten', () => {
    expect(linkMentions('<p>@张三 你好</p>')).toBe('<p><a href="/u/%E5%BC%A0%E4%B8%89" class="mention">@张三</a> 你好</p>')
    expect(linkMentions('<p><a href="/x">@张三</a> <code>@李四</code></p><blockquote><p>@王五</p></blockquote>')).toBe('<p><a href="/x">@张三</a> <code>@李四</code></p><blockquote><p>@王五</p></blockquote>')
    expect(linkMentions('<p>mail a@b.com</p>')).toBe('<p>mail a@b.com</p>')
    const many = `<p>${Array.from({ length: 12 }, (_, i) => `@u${i}`).join(' ')}</p>`
    expect(linkMentions(many).match(/class="mention"/g)).toHaveLength(10)
  })
})

describe('签名 and the default avatar', () => {
  it('escapes everything and links only http(s) URLs', () => {
    expect(signatureHtml('<script>x</script> https://a.example/p?q=1&r=2. 完')).toBe('&lt;script&gt;x&lt;/script&gt; <a href="https://a.example/p?q=1&amp;r=2" rel="nofollow ugc noopener" target="_blank">https://a.example/p?q=1&amp;r=2</a>. 完')
    expect(signatureHtml('javascript:alert(1)')).toBe('javascript:alert(1)')
    expect(normalizeSignature('  一\r\n\r\n\r\n二\n三\n四 ')).toBe('一\n\n二 三 四')
  })

  it('draws the initial on a colour fixed by the id', () => {
    expect(avatarColour(7)).toBe(avatarColour(19))
    expect(avatarColour(7)).not.toBe(avatarColour(8))
    expect(defaultAvatarSvg(1, '<b>', 'small')).toContain('>&#60;</text>')
    expect(defaultAvatarSvg(1, '王五', 'small')).toContain('width="48"')
  })
})
