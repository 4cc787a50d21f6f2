import { parse } from '@bbob/parser'

/**
 * Discuz BBCode (forum_post.message) to our Markdown. @bbob/parser builds the tree; this walks it.
 * Discuz stores a post HTML-escaped (`&lt;`), so entities are kept (Markdown decodes them) and only a
 * raw `<` is escaped. Markdown's own characters in the text are backslash-escaped so a post shows what
 * its author typed. A tag the parser left open (no closing tag) is written back as its literal text;
 * styling Markdown has no place for ([color] [size] [font] [align] [u]) keeps its text only.
 */

export interface BbcodeOptions {
  /** `[attach]N[/attach]`: the Markdown for attachment N, or null (then `[附件 N]`). */
  attachment?: (id: number) => string | null
}

interface Node { tag: string, attrs: Record<string, string>, content: Array<Node | string>, start?: { from: number, to: number }, end?: { from: number, to: number } }

const SAFE_URL = /^(https?:\/\/|ftp:\/\/|mailto:|\/(?![/\\]))/i
const SELF_CLOSING = new Set(['*', 'hr'])

function firstAttr (node: Node): string {
  const keys = Object.keys(node.attrs)
  return keys.length > 0 ? (node.attrs[keys[0] ?? ''] ?? '') : ''
}

function escapeText (text: string, lineStart: boolean): string {
  let out = text.replace(/[\\`*_[\]<|~]/g, (c) => c === '<' ? '&lt;' : `\\${c}`)
  if (lineStart) out = out.replace(/^(\s*)([#>+-]|\d+\.)/, (_m, sp: string, mark: string) => `${sp}${mark.replace(/^(\d+)\./, '$1\\.').replace(/^([#>+-])$/, '\\$1')}`)
  return out
}

const urlPart = (url: string): string => url.trim().replace(/[()\s<>"]/g, (c) => encodeURIComponent(c))

export function bbcodeToMarkdown (source: string, options: BbcodeOptions = {}): string {
  const nodes = parse(source) as Array<Node | string>
  let out = ''
  const atLineStart = (): boolean => out === '' || out.endsWith('\n')
  const raw = (node: Node): string => node.start !== undefined && node.end !== undefined ? source.slice(node.start.to, node.end.from) : ''
  const textOf = (list: Array<Node | string>): string => list.map((n) => typeof n === 'string' ? n : textOf(n.content)).join('')
  const sub = (list: Array<Node | string>): string => {
    const saved = out
    out = ''
    walk(list)
    const result = out
    out = saved
    return result
  }
  const block = (text: string): void => {
    if (!atLineStart()) out += '\n'
    if (out !== '' && !out.endsWith('\n\n')) out += '\n'
    out += text.replace(/\n+$/, '') + '\n\n'
  }
  const inline = (mark: string, inner: string): void => {
    const trimmed = inner.trim()
    if (trimmed === '') { out += inner; return }
    out += `${mark}${trimmed}${mark}`
  }

  function walk (list: Array<Node | string>): void {
    for (const n of list) {
      if (typeof n === 'string') {
        // A Discuz line break is a line break: two spaces make it a hard break in Markdown.
        if (n === '\n') out += atLineStart() ? '\n' : '  \n'
        else out += escapeText(n, atLineStart())
        continue
      }
      const tag = n.tag.toLowerCase()
      if (n.end === undefined && !SELF_CLOSING.has(tag)) {
        // Malformed: an opening tag never closed. Its literal text, then what followed it.
        out += escapeText(n.start !== undefined ? source.slice(n.start.from, n.start.to) : `[${n.tag}]`, atLineStart())
        walk(n.content)
        continue
      }
      switch (tag) {
        case 'b': inline('**', sub(n.content)); break
        case 'i': inline('*', sub(n.content)); break
        case 's': inline('~~', sub(n.content)); break
        case 'url': case 'email': {
          const href = firstAttr(n) !== '' ? firstAttr(n) : textOf(n.content)
          const target = tag === 'email' ? `mailto:${href.trim()}` : href.trim()
          const label = sub(n.content).trim()
          if (SAFE_URL.test(target)) out += `[${label === '' ? escapeText(target, false) : label}](${urlPart(target)})`
          else out += label
          break
        }
        case 'img': {
          const src = textOf(n.content).trim()
          out += SAFE_URL.test(src) && !src.toLowerCase().startsWith('mailto:') ? `![](${urlPart(src)})` : escapeText(src, atLineStart())
          break
        }
        case 'attach': {
          const id = Number(textOf(n.content).trim())
          const md = Number.isSafeInteger(id) && options.attachment !== undefined ? options.attachment(id) : null
          out += md ?? `[附件 ${textOf(n.content).trim()}]`.replace(/[[\]]/g, (c) => `\\${c}`)
          break
        }
        case 'quote': {
          const inner = sub(n.content).trim()
          block(inner.split('\n').map((l) => l === '' ? '>' : `> ${l}`).join('\n'))
          break
        }
        case 'code': {
          const code = raw(n).replace(/^\n+|\n+$/g, '')
          const fence = code.includes('```') ? '~~~~' : '```'
          block(`${fence}\n${code}\n${fence}`)
          break
        }
        case 'list': {
          const ordered = firstAttr(n) !== ''
          const items: Array<Array<Node | string>> = []
          let current: Array<Node | string> | null = null
          for (const c of n.content) {
            if (typeof c !== 'string' && c.tag === '*') { current = [...c.content]; items.push(current); continue }
            if (current === null) { if (typeof c === 'string' && c.trim() === '') continue; current = []; items.push(current) }
            current.push(c)
          }
          const lines = items.map((list, i) => `${ordered ? `${i + 1}.` : '-'} ${sub(list).trim().replace(/\n/g, '\n   ')}`)
          block(lines.join('\n'))
          break
        }
        case 'hr': block('---'); break
        case 'media': case 'audio': case 'flash': {
          const href = textOf(n.content).trim()
          out += SAFE_URL.test(href) ? `[${escapeText(href, false)}](${urlPart(href)})` : escapeText(href, false)
          break
        }
        case 'tr': { const cells = n.content.filter((c): c is Node => typeof c !== 'string').map((c) => sub(c.content).trim()); block(cells.join(' · ')); break }
        case 'table': walk(n.content); break
        default: walk(n.content) // color, size, font, align, u, hide, free, td …: the text stays
      }
    }
  }
  walk(nodes)
  return out.replace(/\n{3,}/g, '\n\n').trim()
}
