import { type BulkGenerator, insertInBatches } from '../../db/bulk-seed'

/**
 * seed:bulk --bans N: ban history for the darkroom at scale. Nine in ten bans are history (lifted
 * or expired); the newest tenth are active, on distinct members, with users.ban_* set to match (the
 * fast path the auth plugin reads). The first 3,000 bulk members are never banned: the benchmark
 * logs them in to write comments and reactions.
 */
export const UNBANNED_BULK_MEMBERS = 3000

export const generateBulkBans: BulkGenerator = async ({ knex, counts, now, memberIds, progress }) => {
  if (counts.bans === 0) return
  const pool = memberIds.slice(Math.min(UNBANNED_BULK_MEMBERS, Math.floor(memberIds.length / 2)))
  if (pool.length === 0) throw new Error('seed:bulk --bans needs --members in the same run')
  const staff = await knex('users').whereIn('role', ['admin', 'moderator']).first<{ id: number } | undefined>('id')
  const moderatorId = staff?.id ?? memberIds[0]
  const active = Math.min(Math.floor(counts.bans / 10), pool.length)
  const firstActive = counts.bans - active
  const userFor = (i: number): number => pool[i >= firstActive ? i - firstActive : i % pool.length] as number
  const reasons = ['发布广告', '恶意灌水', '人身攻击', '冒充管理员', '多次发布违规内容']
  await insertInBatches(knex, 'bans', counts.bans, (i) => {
    const createdAt = now - (counts.bans - i) * 60
    const isActive = i >= firstActive
    return {
      user_id: userFor(i),
      type: i % 4 === 0 ? 'visit' : 'post',
      reason: reasons[i % reasons.length],
      created_at: createdAt,
      expires_at: i % 7 === 0 ? null : createdAt + 30 * 86400,
      moderator_id: moderatorId,
      lifted_at: isActive ? null : createdAt + 3600,
      lifted_by: isActive ? null : moderatorId,
      lift_reason: isActive ? null : '已改正'
    }
  }, (d) => { progress('bans', d, counts.bans) })
  // Active bans on the members' rows, in batches of one UPDATE per ban shape.
  for (let i = firstActive; i < counts.bans; i += 500) {
    const end = Math.min(counts.bans, i + 500)
    await knex.transaction(async (trx) => {
      for (let k = i; k < end; k++) {
        const createdAt = now - (counts.bans - k) * 60
        await trx('users').where({ id: userFor(k) }).update({
          ban_type: k % 4 === 0 ? 'visit' : 'post',
          ban_until: k % 7 === 0 ? null : createdAt + 30 * 86400,
          ban_reason: reasons[k % reasons.length]
        })
      }
    })
  }
}
