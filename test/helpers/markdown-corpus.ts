import fc from 'fast-check'

/** Generated Markdown that hurt marked before its bounds (test/lib/markdown.test.ts, test/forum/markdown-bounds.test.ts). */

// Building blocks of the inputs that hurt marked: emphasis delimiters, brackets, angle brackets,
// backticks, container markers, autolinks, line breaks; repeated, nested and mixed.
const piece = fc.constantFrom('*', '_', '**', '__', '~', '~~', '[', ']', '(', ')', '<', '>', '`', '``', '!', '&', '\\', '|', '#', '"', "'",
  '> ', '- ', '* ', '1. ', '  ', '\n', '\n\n', 'a', '中', ' ', 'http://x.cn/', 'www.', 'a@b.cn', '[a](b)', '![i](http://x.cn/y.png "t")', '<b>', '```')
export const pathologicalMarkdown = fc.oneof(
  // A short pattern repeated up to 100 KB ('*a_' × 6,333 is one of these).
  fc.tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 20_000 }))
    .map(([parts, n]) => parts.join('').repeat(n).slice(0, 100_000)),
  // Nesting: quotes, lists, both, then some text.
  fc.tuple(fc.constantFrom('>', '> ', '- ', '* ', '1. ', '> - ', '- > ', '+ '), fc.integer({ min: 1, max: 4_000 }), fc.string({ maxLength: 20 }))
    .map(([prefix, n, tail]) => prefix.repeat(n) + tail),
  // A staircase of nested list items or quotes, one level a line.
  fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean())
    .map(([n, quote]) => Array.from({ length: n }, (_, i) => quote ? `${'> '.repeat(i)}a` : `${' '.repeat(i * 2)}- a`).join('\n')),
  // Nested emphasis and links, opened then closed.
  fc.tuple(fc.constantFrom(['*a ', ' a*'], ['**', '**'], ['_', '_'], ['[a', '](b)'], ['`', '`'], ['<a>', '</a>']), fc.integer({ min: 1, max: 5_000 }))
    .map(([[open, close], n]) => open.repeat(n) + 'x' + close.repeat(n)),
  // Random mixtures of the pieces.
  fc.array(piece, { maxLength: 6_000 }).map((parts) => parts.join('')),
  // 100 KB single lines.
  fc.constantFrom('a', '*', '_', '`', '[', '<', '>', '*a_', '_a*', '[]', '\\*').map((c) => c.repeat(Math.ceil(100_000 / c.length)).slice(0, 100_000))
)
