import type { Knex } from 'knex'
import { startOfSiteDay } from '../../lib/dates'
import { storedRenderColumns } from '../../lib/markdown'
import { forumRepository } from './repository'

/**
 * Demo forum content for `npm run cli -- seed:demo`: two groups, five boards (业主之家 is
 * members-only), six threads with replies, written by members that already exist. Counters are
 * computed afterwards by the same reconcile the CLI runs, so they cannot disagree with the posts.
 */

interface DemoThread {
  board: string
  title: string
  body: string
  replies: string[]
  pinned?: boolean
  /** Hours before now that the thread was opened. */
  hoursAgo: number
}

const GROUPS: Array<{ name: string, description: string, boards: Array<{ name: string, description: string, guestVisible?: boolean }> }> = [
  {
    name: '濠江生活',
    description: '吃喝玩乐、家长里短，街坊们的日常',
    boards: [
      { name: '街坊闲聊', description: '天南地北，想聊就聊' },
      { name: '吃在濠江', description: '牛肉丸、蚝烙、海鲜大排档，哪家好吃大家说' },
      { name: '二手闲置', description: '闲置转让、以物换物，交易请当面验货' }
    ]
  },
  {
    name: '社区服务',
    description: '便民信息与业主交流',
    boards: [
      { name: '便民信息', description: '停水停电、台风预警、公交调整' },
      { name: '业主之家', description: '小区事务讨论（仅限注册会员）', guestVisible: false }
    ]
  }
]

const THREADS: DemoThread[] = [
  {
    board: '便民信息',
    title: '【置顶】台风季出行与防风注意事项汇总',
    pinned: true,
    hoursAgo: 240,
    body: '每年七到九月是台风高发期，整理了几条大家常问的：\n\n1. 气象台发布**橙色预警**后，海滨长廊和礐石风景区会临时封闭，别去海边看浪。\n2. 阳台花盆、空调外机支架提前检查，能搬进屋的都搬进屋。\n3. 轮渡遇大风停航，过海请改走海湾大桥。\n\n有补充的欢迎在下面跟帖，我会整理进来。',
    replies: [
      '补充一条：地下车库容易进水，车最好提前停到高处。',
      '感谢整理！去年台风我家窗户漏水，今年提前买了防水胶条。'
    ]
  },
  {
    board: '吃在濠江',
    title: '河浦那家老字号牛肉丸店搬到哪里去了？',
    hoursAgo: 30,
    body: '以前每周都去河浦市场门口那家吃牛肉丸汤粉，上个月路过发现关门了，门口也没贴告示。有街坊知道搬去哪了吗？实在想念那口汤。',
    replies: [
      '搬到对面街口了，往红绿灯方向走五十米，招牌换成新的了，老板还是那个老板。',
      '对对，我上周刚去过，汤底一样鲜，就是中午排队有点久。',
      '谢谢两位！周末就去。',
      '顺便推荐一下旁边的蚝烙，外脆里嫩，十几块一份很实在。'
    ]
  },
  {
    board: '街坊闲聊',
    title: '周日退潮去赶海，有没有一起的？',
    hoursAgo: 5,
    body: '查了潮汐表，这周日下午三点左右是低潮，打算去东湖那边的滩涂挖花蛤。自带小铲子和水桶就行，小朋友也可以带上，注意穿防滑鞋。\n\n有兴趣的跟帖说一声，人多的话在公交站集合。',
    replies: [
      '算我一个，带上我家两个小孩。',
      '去年在那边挖到不少，记得别踩到礁石上的蚝壳，很锋利。'
    ]
  },
  {
    board: '二手闲置',
    title: '转让九成新儿童自行车一辆',
    hoursAgo: 50,
    body: '孩子长高骑不了了，16 寸，带辅助轮，车况很好，刹车灵敏。**80 元**自提，地址在磊广路附近，有意私信。',
    replies: ['请问还在吗？周六可以去看车吗？']
  },
  {
    board: '便民信息',
    title: '下周二达濠片区计划停水通知',
    hoursAgo: 2,
    body: '接自来水公司通知：因管网改造，下周二早上八点至下午六点，达濠片区部分小区计划停水，请大家提前储水。具体范围以物业通知为准。',
    replies: ['收到，感谢提醒。']
  },
  {
    board: '业主之家',
    title: '小区电动车充电桩增设方案征求意见',
    hoursAgo: 20,
    body: '业委会和物业商量了在北门车棚增设二十个充电桩的方案，按次收费，费用大致和外面持平。大家有什么意见和建议可以在这里讨论，下个月开业主大会前汇总。',
    replies: [
      '支持！楼道里充电太危险了，早该建了。',
      '希望能装个雨棚，夏天雷阵雨多。',
      '收费标准能不能公示一下明细？'
    ]
  }
]

/** Seeds the demo forum into a database that has members and no boards yet; returns how many threads it wrote. */
export async function seedForumDemo (knex: Knex, trx?: Knex.Transaction, timeZone = 'Asia/Shanghai'): Promise<number> {
  const run = async (db: Knex.Transaction): Promise<number> => {
    if (await db('boards').first('id') !== undefined) return 0
    const userIds = await db('users').orderBy('id').limit(6).pluck<number[]>('id')
    if (userIds.length === 0) throw new Error('seedForumDemo needs at least one member')
    const author = (i: number): number => userIds[i % userIds.length] ?? userIds[0] ?? 0
    const now = Math.floor(Date.now() / 1000)

    const boardIds = new Map<string, number>()
    let order = 0
    for (const group of GROUPS) {
      const [groupId] = await db('boards').insert({ name: group.name, description: group.description, is_group: true, display_order: ++order })
      for (const b of group.boards) {
        const [id] = await db('boards').insert({
          parent_id: Number(groupId), name: b.name, description: b.description, display_order: ++order, guest_visible: b.guestVisible ?? true
        })
        boardIds.set(b.name, Number(id))
      }
    }

    let writer = 0
    for (const thread of THREADS) {
      const opened = now - thread.hoursAgo * 3600
      const authorId = author(writer++)
      const [threadId] = await db('threads').insert({
        board_id: boardIds.get(thread.board), author_id: authorId, title: thread.title, pinned: thread.pinned ?? false,
        status: 'visible', created_at: opened, last_post_at: opened, last_position: 0
      })
      const posts = [thread.body, ...thread.replies]
      for (const [i, body] of posts.entries()) {
        const postAuthor = i === 0 ? authorId : author(writer++)
        // Replies spread over the time since the thread opened, oldest first.
        const at = opened + Math.floor((i * thread.hoursAgo * 3600) / (posts.length + 1))
        await db('posts').insert({ thread_id: Number(threadId), author_id: postAuthor, position: i + 1, body, ...storedRenderColumns(body), status: 'visible', created_at: at })
        await db('users').where({ id: postAuthor }).increment('post_count', 1)
      }
    }
    await forumRepository(knex).reconcile(db, startOfSiteDay(now, timeZone))
    return THREADS.length
  }
  if (trx !== undefined) return await run(trx)
  return await knex.transaction(run)
}
