import type { Knex } from 'knex'

/** Knex over the notification tables and the member row's unread counter (users.unread_notifications). */

export interface NotificationRow {
  id: number
  user_id: number
  kind: string
  actor_id: number | null
  actor_name: string
  actor_count: number
  target_type: string
  target_id: number
  title: string
  url: string
  group_key: string | null
  read_at: number | null
  emailed_at: number | null
  created_at: number
  updated_at: number
}

export interface NewNotification {
  userId: number
  kind: string
  actorId: number | null
  actorName: string
  targetType: string
  targetId: number
  title: string
  url: string
  groupKey: string | null
  at: number
}

export function notificationsRepository (db: Knex) {
  return {
    async insert (trx: Knex.Transaction, n: NewNotification): Promise<number> {
      const [id] = await trx('notifications').insert({
        user_id: n.userId,
        kind: n.kind,
        actor_id: n.actorId,
        actor_name: n.actorName,
        actor_count: 1,
        target_type: n.targetType,
        target_id: n.targetId,
        title: n.title,
        url: n.url,
        group_key: n.groupKey,
        read_at: null,
        created_at: n.at,
        updated_at: n.at
      })
      if (id === undefined) throw new Error('notification insert returned no id')
      return Number(id)
    },

    /** The unread group row of `groupKey`, locked for the caller's transaction. */
    async openGroup (trx: Knex.Transaction, userId: number, groupKey: string): Promise<NotificationRow | undefined> {
      return await trx<NotificationRow>('notifications').where({ user_id: userId, group_key: groupKey }).forUpdate().first()
    },

    /** Counts `actorId` into a group once (the group row is locked by the caller): true when the actor is new to it. */
    async addActor (trx: Knex.Transaction, notificationId: number, actorId: number): Promise<boolean> {
      const seen = await trx('notification_actors').where({ notification_id: notificationId, actor_id: actorId }).first('actor_id')
      if (seen !== undefined) return false
      await trx('notification_actors').insert({ notification_id: notificationId, actor_id: actorId })
      return true
    },

    async bumpGroup (trx: Knex.Transaction, id: number, actor: { id: number, name: string }, at: number): Promise<void> {
      await trx('notifications').where({ id }).update({ actor_id: actor.id, actor_name: actor.name, actor_count: trx.raw('actor_count + 1'), updated_at: at, emailed_at: null })
    },

    async adjustUnread (trx: Knex.Transaction, userId: number, delta: number): Promise<void> {
      if (delta === 0) return
      await trx('users').where({ id: userId }).update({
        // Never below zero, whatever happened before this column existed.
        unread_notifications: delta > 0
          ? trx.raw('unread_notifications + ?', [delta])
          : trx.raw('CASE WHEN unread_notifications > ? THEN unread_notifications - ? ELSE 0 END', [-delta, -delta])
      })
    },

    async unreadCount (userId: number, trx?: Knex.Transaction): Promise<number> {
      const row = await (trx ?? db)('users').where({ id: userId }).first<{ unread_notifications: number } | undefined>('unread_notifications')
      return Number(row?.unread_notifications ?? 0)
    },

    /** A page of notices, newest first: keyset on (updated_at, id) under the (user_id, updated_at, id) index. */
    async page (userId: number, before: { at: number, id: number } | null, limit: number): Promise<NotificationRow[]> {
      const q = db<NotificationRow>('notifications').where({ user_id: userId })
      if (before !== null) {
        void q.andWhere((w) => { void w.where('updated_at', '<', before.at).orWhere((x) => { void x.where('updated_at', '=', before.at).andWhere('id', '<', before.id) }) })
      }
      return await q.orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)
    },

    /** Marks these of the member's notices read; returns how many were unread. */
    async markRead (trx: Knex.Transaction, userId: number, ids: readonly number[], at: number): Promise<number> {
      if (ids.length === 0) return 0
      return await trx('notifications').where({ user_id: userId }).whereIn('id', ids).whereNull('read_at')
        .update({ read_at: at, group_key: null })
    },

    async markAllRead (trx: Knex.Transaction, userId: number, at: number): Promise<number> {
      return await trx('notifications').where({ user_id: userId }).whereNull('read_at').update({ read_at: at, group_key: null })
    },

    async prefs (userId: number, trx?: Knex.Transaction): Promise<Map<string, string>> {
      const rows = await (trx ?? db)('notification_prefs').where({ user_id: userId }).select<Array<{ kind: string, channel: string }>>('kind', 'channel')
      return new Map(rows.map((r) => [r.kind, r.channel]))
    },

    async setPref (trx: Knex.Transaction, userId: number, kind: string, channel: string): Promise<void> {
      await trx('notification_prefs').insert({ user_id: userId, kind, channel }).onConflict(['user_id', 'kind']).merge({ channel })
    },

    /** Members by name (the NFKC lower-cased key the members feature keeps unique), for @mentions. */
    async usersByNameKeys (trx: Knex.Transaction | Knex, keys: readonly string[]): Promise<Array<{ id: number, username: string }>> {
      if (keys.length === 0) return []
      return await trx('users').whereIn('username_key', keys).select<Array<{ id: number, username: string }>>('id', 'username')
    },

    /**
     * Members who chose e-mail for some kind, have an unread notice not yet mailed, and had no digest
     * since `sentBefore`: in user id order after `afterUserId` (keyset), at most `limit`.
     */
    async digestCandidates (afterUserId: number, sentBefore: number, limit: number): Promise<number[]> {
      const rows = await db('notification_prefs as p')
        .leftJoin('notification_digests as d', 'd.user_id', 'p.user_id')
        .where('p.channel', 'email').andWhere('p.user_id', '>', afterUserId)
        .andWhere((w) => { void w.whereNull('d.last_sent_at').orWhere('d.last_sent_at', '<=', sentBefore) })
        .whereExists((q) => { void q.select(db.raw('1')).from('notifications as n').whereRaw('n.user_id = p.user_id').whereNull('n.read_at').whereNull('n.emailed_at') })
        .distinct('p.user_id').orderBy('p.user_id').limit(limit)
      return rows.map((r: { user_id: number }) => Number(r.user_id))
    },

    /** The member's unread notices of these kinds not mailed yet, newest first (at most `limit`). */
    async undigested (trx: Knex.Transaction, userId: number, kinds: readonly string[], limit: number): Promise<NotificationRow[]> {
      if (kinds.length === 0) return []
      return await trx<NotificationRow>('notifications').where({ user_id: userId }).whereNull('read_at').whereNull('emailed_at')
        .whereIn('kind', kinds).orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)
    },

    /**
     * Takes the member's digest turn: true when their last digest was at or before `sentBefore` (or there
     * was none) and it is now `now`. The row is created first so the UPDATE always has one to lock: a
     * second process's UPDATE waits for this transaction and then finds the condition false.
     */
    async claimDigest (trx: Knex.Transaction, userId: number, sentBefore: number, now: number): Promise<boolean> {
      await trx('notification_digests').insert({ user_id: userId, last_sent_at: 0 }).onConflict('user_id').ignore()
      return await trx('notification_digests').where({ user_id: userId }).andWhere('last_sent_at', '<=', sentBefore).update({ last_sent_at: now }) === 1
    },

    async markEmailed (trx: Knex.Transaction, userId: number, ids: readonly number[], at: number): Promise<number> {
      if (ids.length === 0) return 0
      return await trx('notifications').where({ user_id: userId }).whereIn('id', ids).whereNull('emailed_at').update({ emailed_at: at })
    },

    async userExists (trx: Knex.Transaction, userId: number): Promise<boolean> {
      return (await trx('users').where({ id: userId }).first('id')) !== undefined
    }
  }
}

export type NotificationsRepository = ReturnType<typeof notificationsRepository>
