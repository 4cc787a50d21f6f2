import type { Knex } from 'knex'

// 表态: the five reactions as data (renamable, reorderable) and one row per member per article.
// Counters stay in articles.react_<key>: tied to the stable key, never to a display position.

const KINDS = [
  { key: 'luguo', name: '路过', icon: '/static/img/reactions/luguo.svg', display_order: 1 },
  { key: 'leiren', name: '雷人', icon: '/static/img/reactions/leiren.svg', display_order: 2 },
  { key: 'woshou', name: '握手', icon: '/static/img/reactions/woshou.svg', display_order: 3 },
  { key: 'xianhua', name: '鲜花', icon: '/static/img/reactions/xianhua.svg', display_order: 4 },
  { key: 'jidan', name: '鸡蛋', icon: '/static/img/reactions/jidan.svg', display_order: 5 }
]

export async function up (knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2'
  await knex.schema.createTable('reaction_kinds', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.string('key', 16).primary()
    t.string('name', 16).notNullable()
    t.string('icon', 191).notNullable()
    t.integer('display_order').notNullable().defaultTo(0)
  })
  await knex('reaction_kinds').insert(KINDS)

  await knex.schema.createTable('reactions', (t) => {
    if (isMysql) { t.charset('utf8mb4'); t.collate('utf8mb4_unicode_ci') }
    t.increments('id').primary()
    t.integer('article_id').unsigned().notNullable().references('id').inTable('articles').onDelete('CASCADE')
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('kind', 16).notNullable().references('key').inTable('reaction_kinds')
    t.integer('created_at').unsigned().notNullable()
    // One reaction per member per article, enforced by the database: two quick clicks cannot both count.
    t.unique(['article_id', 'user_id'])
    t.index(['article_id', 'created_at']) // 刚表态过的朋友
    t.index(['user_id', 'created_at']) // the daily cap
    t.index(['kind'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTable('reactions')
  await knex.schema.dropTable('reaction_kinds')
}
