/**
 * RSS 2.0 documents (https://www.rssboard.org/rss-specification). Pure: the feeds feature gives the
 * channel and its items with absolute links. Every text is XML-escaped here; nothing is passed raw.
 */

export interface RssItem {
  title: string
  /** Absolute URL; also the guid (isPermaLink="true"). */
  link: string
  /** Plain text (the article's summary), escaped. */
  description: string
  /** Unix seconds. */
  published: number
  category?: string
  /** The author's name (dc:creator: RSS's own <author> must be an e-mail address). */
  creator?: string
}

export interface RssChannel {
  title: string
  /** Absolute URL of the page the feed follows. */
  link: string
  /** Absolute URL of the feed itself (atom:link rel="self", which feed validators ask for). */
  self: string
  description: string
  /** Unix seconds; omitted when the feed is empty. */
  lastBuild: number | null
  items: readonly RssItem[]
}

/** Characters XML 1.0 does not allow at all (the input-text plugin refuses them, but a feed must never be invalid). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

export function escapeXml (s: string): string {
  return s.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** RFC 822 date as RSS 2.0 wants it (`Mon, 30 Nov 2026 08:00:00 GMT`: RFC 1123's four-digit year, which RSS readers take). */
export function rfc822 (unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toUTCString()
}

function element (name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`
}

/**
 * RSS 2.0's description is HTML (entity-encoded): readers render it. Plain text is escaped as HTML first,
 * then as XML, so a summary `<script>` reaches the reader as text, not markup (the stored-XSS suite,
 * test/security/, found it run as HTML after one level of escaping).
 */
function htmlDescription (text: string): string {
  return element('description', escapeXml(text))
}

export function rssDocument (channel: RssChannel): string {
  const items = channel.items.map((item) => [
    '<item>',
    element('title', item.title),
    element('link', item.link),
    `<guid isPermaLink="true">${escapeXml(item.link)}</guid>`,
    element('pubDate', rfc822(item.published)),
    htmlDescription(item.description),
    ...(item.category !== undefined && item.category !== '' ? [element('category', item.category)] : []),
    ...(item.creator !== undefined && item.creator !== '' ? [element('dc:creator', item.creator)] : []),
    '</item>'
  ].join(''))
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    '<channel>',
    element('title', channel.title),
    element('link', channel.link),
    `<atom:link href="${escapeXml(channel.self)}" rel="self" type="application/rss+xml"/>`,
    htmlDescription(channel.description),
    element('language', 'zh-CN'),
    ...(channel.lastBuild !== null ? [element('lastBuildDate', rfc822(channel.lastBuild))] : []),
    element('generator', 'luntan'),
    ...items,
    '</channel>',
    '</rss>',
    ''
  ].join('\n')
}
