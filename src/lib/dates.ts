/**
 * Dates as Discuz shows them: `Y-n-j H:i` (2023-10-1 02:53) in the site's time zone.
 * Times are stored as UTC Unix seconds; all conversion to the site zone happens here.
 */

interface Parts { year: number, month: number, day: number, hour: number, minute: number, second: number }

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(timeZone, f)
  }
  return f
}

export function zonedParts (unixSeconds: number, timeZone: string): Parts {
  const parts: Parts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
  for (const p of formatterFor(timeZone).formatToParts(new Date(unixSeconds * 1000))) {
    if (p.type in parts) parts[p.type as keyof Parts] = Number(p.value)
  }
  return parts
}

const pad2 = (n: number): string => String(n).padStart(2, '0')

/** `2023-10-1 02:53` */
export function formatDateTime (unixSeconds: number, timeZone: string): string {
  const p = zonedParts(unixSeconds, timeZone)
  return `${p.year}-${p.month}-${p.day} ${pad2(p.hour)}:${pad2(p.minute)}`
}

/** `2023-10-1` */
export function formatDate (unixSeconds: number, timeZone: string): string {
  const p = zonedParts(unixSeconds, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** `GMT+8` for Asia/Shanghai: the offset label Discuz prints in its footer. */
export function gmtLabel (unixSeconds: number, timeZone: string): string {
  const p = zonedParts(unixSeconds, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) / 1000
  const offsetMinutes = Math.round((asUtc - unixSeconds) / 60)
  if (offsetMinutes === 0) return 'GMT'
  const sign = offsetMinutes > 0 ? '+' : '-'
  const abs = Math.abs(offsetMinutes)
  const hours = Math.floor(abs / 60)
  const minutes = abs % 60
  return `GMT${sign}${hours}${minutes === 0 ? '' : ':' + pad2(minutes)}`
}

/** Start of the site-local day containing `unixSeconds`, as Unix seconds (for 今日 counts and daily caps). */
export function startOfSiteDay (unixSeconds: number, timeZone: string): number {
  const p = zonedParts(unixSeconds, timeZone)
  return unixSeconds - (p.hour * 3600 + p.minute * 60 + p.second)
}

/** Discuz-style humanised past time: 刚刚, N 秒前, N 分钟前, N 小时前, 昨天 H:i, 前天 H:i, N 天前, then the date. */
export function humanizePast (unixSeconds: number, nowSeconds: number, timeZone: string): string {
  const diff = nowSeconds - unixSeconds
  if (diff < 0) return formatDateTime(unixSeconds, timeZone)
  if (diff < 60) return '刚刚'
  if (diff < 3600) return `${Math.floor(diff / 60)} 分钟前`
  const today = startOfSiteDay(nowSeconds, timeZone)
  const p = zonedParts(unixSeconds, timeZone)
  const hm = `${pad2(p.hour)}:${pad2(p.minute)}`
  if (unixSeconds >= today) return `${Math.floor(diff / 3600)} 小时前`
  if (unixSeconds >= today - 86400) return `昨天 ${hm}`
  if (unixSeconds >= today - 2 * 86400) return `前天 ${hm}`
  const days = Math.floor((today - unixSeconds) / 86400) + 1
  if (days <= 7) return `${days} 天前`
  return formatDateTime(unixSeconds, timeZone)
}

/** Human countdown to a future time: N 分钟后, N 小时后, N 天后. */
export function humanizeFuture (unixSeconds: number, nowSeconds: number): string {
  const diff = unixSeconds - nowSeconds
  if (diff <= 0) return '已过期'
  if (diff < 3600) return `${Math.max(1, Math.ceil(diff / 60))} 分钟后`
  if (diff < 86400) return `${Math.ceil(diff / 3600)} 小时后`
  return `${Math.ceil(diff / 86400)} 天后`
}

/** Unix seconds of 00:00 on the site-local date year-month-day (what a `YYYY-MM-DD` field means). */
export function siteMidnight (year: number, month: number, day: number, timeZone: string): number {
  const wallClock = Date.UTC(year, month - 1, day) / 1000
  // The zone's offset at that instant; a second pass settles dates next to an offset change.
  let guess = wallClock
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(guess, timeZone)
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) / 1000 - guess
    guess = wallClock - offset
  }
  return guess
}

/** Parses `YYYY-MM-DD` (a real calendar date) into its parts, or null. */
export function parseIsoDate (raw: string): { year: number, month: number, day: number } | null {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(raw.trim())
  if (m === null) return null
  const year = Number(m[1]); const month = Number(m[2]); const day = Number(m[3])
  const d = new Date(Date.UTC(year, month - 1, day))
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null
  return { year, month, day }
}
