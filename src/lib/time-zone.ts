/**
 * The site's time zone as an admin sets it (站点设置 → 时区): an IANA name such as `Asia/Shanghai`.
 * Blank means the SITE_TIMEZONE the process was started with. Pure: no Fastify, no database.
 */

const known = new Map<string, boolean>()

/** True for a zone this Node's ICU knows (`Asia/Shanghai`, `UTC`); false for offsets typed by hand or junk. */
export function isTimeZone (name: string): boolean {
  const cached = known.get(name)
  if (cached !== undefined) return cached
  // Only IANA-shaped names (Area/City, UTC): Intl also accepts `+08:00`, which has no summer time rules
  // and is not what the form asks for.
  let ok = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(name) && name.length <= 60
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name }).format(0)
    } catch {
      ok = false
    }
  }
  if (known.size > 1000) known.clear()
  known.set(name, ok)
  return ok
}

/** The zone pages use: the stored setting when it is a valid zone, else the configured default. */
export function effectiveTimeZone (setting: string | undefined, fallback: string): string {
  const name = (setting ?? '').trim()
  return name !== '' && isTimeZone(name) ? name : fallback
}

/**
 * How a service asks for the site zone: the live setting (app.settings.timeZone), read in the caller's
 * transaction when one is given. Never a string captured at start-up: an admin changes the zone live.
 */
export type SiteTimeZone<Trx = never> = (trx?: Trx) => Promise<string>

/** A zone that does not change (the CLI's SITE_TIMEZONE, unit tests). */
export function fixedTimeZone (name: string): () => Promise<string> {
  return async () => name
}
