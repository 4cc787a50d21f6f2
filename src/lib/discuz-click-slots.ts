import { isPhpArray, phpGet, phpUnserialize, type PhpValue } from './php-unserialize'

/**
 * Which of an article's click1..click8 slots holds which of our reaction kinds. Discuz's slot order
 * is whatever its install returned (a cache sorted by displayorder, all 0), and the only record of it
 * is `common_syscache` cname 'click' (serialized PHP: per idtype, slot → {clickid, name, …}). So the
 * mapping goes by the kind's NAME, never by position.
 */

export const REACTION_KEY_BY_NAME: Readonly<Record<string, string>> = {
  路过: 'luguo', 雷人: 'leiren', 握手: 'woshou', 鲜花: 'xianhua', 鸡蛋: 'jidan'
}

export interface ClickSlots {
  /** slot number (1–8) → our reaction key */
  bySlot: ReadonlyMap<number, string>
  /** slots whose name is none of our kinds (their counts and clicks are reported, not imported) */
  unknown: ReadonlyArray<{ slot: number, name: string }>
}

function str (v: PhpValue | undefined): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''
}

/** The slot map for `idtype` (articles: 'aid') out of the syscache row's `data`. */
export function parseClickSlots (serialized: string | Buffer, idtype = 'aid'): ClickSlots {
  const data = phpUnserialize(serialized)
  const forType = phpGet(data, idtype)
  const bySlot = new Map<number, string>()
  const unknown: Array<{ slot: number, name: string }> = []
  if (!isPhpArray(forType)) return { bySlot, unknown }
  for (const [slotKey, entry] of forType.entries) {
    const slot = Number(slotKey)
    if (!Number.isInteger(slot) || slot < 1 || slot > 8) continue
    const name = str(phpGet(entry, 'name')).trim()
    const key = REACTION_KEY_BY_NAME[name]
    if (key !== undefined) bySlot.set(slot, key)
    else unknown.push({ slot, name })
  }
  return { bySlot, unknown }
}
