import { SETTING_DEFAULTS, type FooterLink, type SettingKey } from '../plugins/settings'
import type { DemoPictureKey } from './demo-pictures'

/**
 * The demo site's content, kept apart from the seeding logic (src/seeds/demo.ts) so that the
 * logic stays short. Every text here is original; the Discuz reference gave structure and tone only.
 */

export const DEMO_SETTINGS: Partial<Record<SettingKey, string>> = {
  site_name: '濠江社区',
  // No 站点网址: it would outrank SITE_URL (src/lib/site-url.ts), sending a demo on another host or port to
  // 127.0.0.1:3000 in its sitemap and mail links. Blank: SITE_URL, or the request's own origin in development.
  site_hotline: '0754-8800 1234',
  site_icp: '粤ICP备20260001号-1',
  site_police_record: '粤公网安备 44050702000001号',
  site_copyright: 'Copyright © 2024-2026 濠江社区 版权所有',
  report_phone: '0754-8800 1110',
  report_email: 'jubao@haojiang.example.com',
  // Discuz's footer, every link answering: the 单页 come from the demo seed (src/features/pages/demo.ts).
  footer_links: JSON.stringify([
    { label: '关于我们', url: '/page/about' },
    { label: '帮助中心', url: '/page/help' },
    { label: '法律声明', url: '/page/legal' },
    { label: '诚聘英才', url: '/page/jobs' },
    { label: '联系我们', url: '/page/contact' },
    ...JSON.parse(SETTING_DEFAULTS.footer_links) as FooterLink[],
    { label: 'APP下载', url: '/page/app' }
  ] satisfies FooterLink[])
}

export interface DemoCategory {
  /** A key the articles refer to; not stored. */
  key: string
  name: string
  description: string
  children?: DemoCategory[]
}

export const DEMO_CATEGORIES: DemoCategory[] = [
  {
    key: 'news',
    name: '新闻资讯',
    description: '濠江本地及周边的新闻动态',
    children: [
      { key: 'local', name: '本地新闻', description: '发生在身边的大事小事' },
      { key: 'society', name: '社会民生', description: '交通、教育、医疗与日常生活' }
    ]
  },
  {
    key: 'life',
    name: '生活百科',
    description: '吃喝玩乐与生活经验',
    children: [
      { key: 'food', name: '美食', description: '街坊推荐的老字号与新店' },
      { key: 'travel', name: '旅游', description: '周末去哪儿，一日游攻略' }
    ]
  },
  {
    key: 'events',
    name: '社区活动',
    description: '社区组织的线下活动与志愿服务'
  }
]

export interface DemoMember {
  username: string
  email: string
  role: 'member' | 'editor' | 'moderator'
  daysAgo: number
  /** An editor's categories (by key): 频道权限, granted through the publishing service. */
  grants?: string[]
}

export const DEMO_MEMBERS: DemoMember[] = [
  { username: '海边阿伟', email: 'awei@example.com', role: 'moderator', daysAgo: 58 },
  { username: '濠江小厨', email: 'xiaochu@example.com', role: 'member', daysAgo: 45 },
  { username: '渡口看云', email: 'kanyun@example.com', role: 'member', daysAgo: 33 },
  { username: 'lin_walker', email: 'linwalker@example.com', role: 'member', daysAgo: 20 },
  // The demo editor: writes the 美食 articles (the only category granted), as an editor of the site would.
  { username: '美食编辑小周', email: 'xiaozhou@example.com', role: 'editor', daysAgo: 40, grants: ['food'] }
]

/** The demo editor's name: the seed lets this member write the articles of their granted categories. */
export const DEMO_EDITOR = '美食编辑小周'

export interface DemoArticle {
  categoryKey: string
  title: string
  summary: string
  sourceName: string
  sourceUrl: string
  /** Markdown; an image's title becomes the ▲ caption (src/lib/markdown.ts); `<!-- 分页 -->` starts a page. */
  body: string
  /** Negative: scheduled, published that many days ahead (it appears by itself when the time comes). */
  daysAgo: number
  views: number
}

/**
 * A picture drawn by src/seeds/demo-pictures.ts: `demo-picture:<key>` is replaced by the stored
 * upload's column-width URL when the seed has stored it (the same upload path as an editor's).
 */
const img = (key: DemoPictureKey, alt: string, caption: string): string => `![${alt}](${DEMO_PICTURE_PREFIX}${key} "${caption}")`
export const DEMO_PICTURE_PREFIX = 'demo-picture:'

export const DEMO_ARTICLES: DemoArticle[] = [
  {
    categoryKey: 'local',
    title: '海滨步道二期完工 傍晚散步多了一段好风景',
    summary: '沿海步道二期工程日前完工开放，新增约两公里临海路段，沿途设有休息座椅和观景平台。',
    sourceName: '濠江社区编辑部',
    sourceUrl: 'https://example.com/news/seaside-walk',
    daysAgo: 2,
    views: 1864,
    body: [
      '沿海步道二期工程日前正式完工开放。新路段从渔港码头一直延伸到灯塔公园，全长约两公里，与一期步道连成一线。',
      img('harbour', '海边天际线', '傍晚时分，从新步道望向对岸的楼群'),
      '记者傍晚在现场看到，不少街坊吃过晚饭就带着孩子来散步，也有人骑着单车慢慢兜风。步道靠海一侧加装了护栏，每隔几百米设有座椅和路灯。',
      '负责施工的单位介绍，二期工程特别保留了原有的几棵老榕树，步道在树下绕了一个弯。"树比路老，路让一让也应该。"一位工程师笑着说。',
      '据了解，步道沿线的公共厕所和饮水点将在下月陆续启用。附近居民建议增设自行车停放点，有关部门表示会研究。'
    ].join('\n\n')
  },
  {
    categoryKey: 'local',
    title: '老街骑楼修缮启动 商户照常营业',
    summary: '老街一带的骑楼修缮工程本周启动，施工分段进行，沿街商户不需停业。',
    sourceName: '濠江社区编辑部',
    sourceUrl: 'https://example.com/news/arcade-repair',
    daysAgo: 9,
    views: 932,
    body: [
      '老街一带的骑楼修缮工程本周一启动。这批骑楼大多建于上世纪三四十年代，外墙剥落、雨篷漏水的问题困扰商户多年。',
      img('street', '老街骑楼', '老街的骑楼，修缮期间商户照常开门'),
      '施工方采取分段围挡的方式，每段工期约三周，围挡内留出通道，行人可以照常进出店铺。',
      '经营凉茶铺三十多年的陈伯说，最担心的是修完"变了样"。对此，项目负责人表示，外立面会按照原有的线条和颜色修复，窗花等构件能保留的尽量保留。',
      '街坊如对施工有意见，可以拨打社区服务热线反映。'
    ].join('\n\n')
  },
  {
    categoryKey: 'society',
    title: '三条公交线路下月起调整 早高峰加密班次',
    summary: '为缓解早高峰拥挤，三条途经学校和医院的公交线路将调整走向并加密班次。',
    sourceName: '濠江交通',
    sourceUrl: 'https://example.com/traffic/bus-routes',
    daysAgo: 5,
    views: 2410,
    body: [
      '记者从交通部门获悉，下月一日起，三条途经中心医院和几所中小学的公交线路将作出调整。',
      img('bus', '公交车', '早高峰的站台，调整后发车间隔缩短到八分钟'),
      '调整后，早上七点至八点半之间的发车间隔由十五分钟缩短至八分钟。其中一条线路改经新建的滨海大道，避开老城区拥堵路段，全程可节省约十分钟。',
      '部分站点的名称也会随之更改，乘客出行前可留意站牌上的告示。',
      '有市民在社区论坛留言，希望晚间班次也能适当延长。交通部门回应，将根据调整后一个月的客流数据再作评估。'
    ].join('\n\n')
  },
  {
    categoryKey: 'society',
    title: '社区卫生站推出周末门诊 上班族看病不用请假',
    summary: '两家社区卫生站试行周六上午门诊，提供常见病诊疗、慢病复诊和疫苗接种。',
    sourceName: '濠江社区编辑部',
    sourceUrl: 'https://example.com/news/weekend-clinic',
    daysAgo: 16,
    views: 1377,
    body: [
      '从本月起，东区和北区两家社区卫生站试行周六上午门诊，时间为八点半至十二点。',
      '周末门诊提供常见病诊疗、高血压和糖尿病复诊开药，以及儿童疫苗接种。接种需提前一天通过电话预约。',
      '卫生站负责人表示，过去不少上班族只能请假带老人、孩子看病，周末开诊就是为了方便他们。试行三个月后，会视情况推广到其他站点。',
      '卫生站也提醒，急症请直接前往医院急诊，不要等到周末门诊。'
    ].join('\n\n')
  },
  {
    categoryKey: 'food',
    title: '街角那锅牛肉丸汤 一煮就是二十年',
    summary: '渔港附近的小摊每天凌晨开始备料，手打牛肉丸配清汤，是许多街坊的早餐记忆。',
    sourceName: '濠江小厨',
    sourceUrl: 'https://example.com/food/beef-ball-stall',
    daysAgo: 12,
    views: 3056,
    body: [
      '早上六点，渔港附近的街角已经飘起白汽。摊主黄姐掀开锅盖，一勺清汤、十来颗牛肉丸，再撒一把芹菜粒，就是一碗早餐。',
      img('food', '街边小吃摊', '清晨的小摊，锅里的汤已经滚了两个钟头'),
      '黄姐说，牛肉丸要用当天的新鲜牛腿肉，用铁棒反复捶打，直到肉浆起胶。"机器打得快，但口感就是差一点。"',
      '二十年来，摊子换过两次位置，价格只涨过三次。熟客来了不用开口，黄姐就知道要不要加粉、要不要辣椒酱。',
      '小摊每天卖到上午十点左右，卖完即收。想吃的朋友，建议早点去。'
    ].join('\n\n')
  },
  {
    categoryKey: 'food',
    title: '周末早市逛一圈：应季蔬果怎么挑',
    summary: '老摊主教你在早市挑选应季蔬果的几个小窍门，顺便推荐几样这个月正当时的食材。',
    sourceName: '生活百科',
    sourceUrl: 'https://example.com/life/morning-market',
    daysAgo: 27,
    views: 1189,
    body: [
      '周末的早市总是最热闹的。趁着人还不多，我们跟着在市场卖了十几年菜的李姨走了一圈。',
      img('market', '早市摊位', '早市里的蔬果摊，颜色一排比一排鲜'),
      '李姨说，挑青菜先看切口，切口新鲜、不发黑的，多半是当天早上收的；番茄要挑蒂头还绿的，捏起来有一点弹性最好。',
      '这个月正当时的有芥蓝、萝卜和柑橘。萝卜要挑拿在手里沉甸甸的，轻的往往已经空心。',
      '最后她还提醒：早市九点以后，有些摊位会降价，但好货也所剩不多了。'
    ].join('\n\n')
  },
  {
    categoryKey: 'travel',
    title: '坐船去对岸小岛 半天就能走完的一日游',
    summary: '从客运码头坐船二十分钟即到小岛，环岛步行约三小时，适合带孩子的家庭周末出游。',
    sourceName: '渡口看云',
    sourceUrl: 'https://example.com/travel/island-trip',
    daysAgo: 21,
    views: 2277,
    body: [
      '如果周末只有半天空闲，不妨去对岸的小岛走走。从客运码头坐渡轮，二十分钟就到。',
      img('ferry', '渡轮', '往返小岛的渡轮，每半小时一班'),
      '上岛后沿着环岛路走，一圈下来大约三个小时。路上有一座小庙、一片沙滩，还有几家卖海鲜粥的小店。',
      '岛上不通汽车，路面平坦，推婴儿车也没问题。不过树荫不多，夏天记得带帽子和水。',
      '回程最后一班船在傍晚六点，建议提前半小时到码头排队。'
    ].join('\n\n')
  },
  {
    categoryKey: 'travel',
    title: '灯塔公园秋色正好 这几个角落值得一拍',
    summary: '入秋后灯塔公园游人渐多，园里的草坪、老榕树和观海台都是拍照的好去处。',
    sourceName: '濠江社区编辑部',
    sourceUrl: 'https://example.com/travel/lighthouse-park',
    daysAgo: 38,
    views: 1542,
    body: [
      '入秋以后，灯塔公园的游人明显多了起来。天气不冷不热，正适合在草坪上铺张垫子晒太阳。',
      img('park', '公园一角', '公园西侧的草坪，午后阳光正好'),
      '园里最受欢迎的是那棵上百年的老榕树，树下常有老人下棋。往东走十分钟是观海台，天气好时能看到远处的航船。',
      '公园管理处提醒，草坪每周一上午养护，请勿进入；园内禁止放飞无人机。'
    ].join('\n\n')
  },
  {
    categoryKey: 'events',
    title: '中秋灯会征集志愿者 报名截止本周五',
    summary: '社区中秋灯会需要四十名志愿者，负责引导、秩序维护和儿童手工区，欢迎街坊报名。',
    sourceName: '社区活动组',
    sourceUrl: 'https://example.com/events/lantern-volunteers',
    daysAgo: 45,
    views: 986,
    body: [
      '一年一度的社区中秋灯会将在海滨广场举行，今年预计展出大小花灯两百多盏。',
      img('lanterns', '花灯', '去年灯会现场，红灯笼挂满了整条长廊'),
      '活动组现征集四十名志愿者，分为现场引导、秩序维护和儿童手工区三个小组。年满十六岁即可报名，未成年人需家长同意。',
      '志愿者将获得活动纪念品和服务时数证明。报名请在社区论坛"社区活动"版块回帖，或到社区服务中心登记。',
      '报名截止时间为本周五下午五点。'
    ].join('\n\n')
  },
  {
    categoryKey: 'events',
    title: '旧物交换日圆满结束 三百多件物品找到新主人',
    summary: '上周末的旧物交换日吸引了两百多位街坊参加，书籍、玩具和小家电最受欢迎。',
    sourceName: '社区活动组',
    sourceUrl: 'https://example.com/events/swap-day',
    daysAgo: 56,
    views: 743,
    body: [
      '上周末，社区服务中心举办了第三届旧物交换日，两百多位街坊带着家里用不上的物品前来交换。',
      '现场最受欢迎的是儿童绘本和玩具，不到一个小时就被换走大半。几台还能用的电风扇和电饭煲也很快找到了新主人。',
      '活动组统计，当天共有三百多件物品完成交换，剩下的衣物已捐给慈善机构。',
      '不少街坊建议把活动办成每季度一次。活动组表示，下一次交换日初步定在明年春天，欢迎大家提前整理家中闲置。'
    ].join('\n\n')
  },
  {
    categoryKey: 'travel',
    title: '骑楼老街慢慢走：从一盅早茶到一碗夜粥',
    summary: '老街一日游攻略分上下两篇：上篇早茶与骑楼，下篇小吃与夜市，跟着走一天不重样。',
    sourceName: '濠江社区编辑部',
    sourceUrl: 'https://example.com/travel/old-street-day',
    daysAgo: 3,
    views: 1288,
    body: [
      '## 上篇：早茶与骑楼',
      '老街最好的打开方式是早上七点。街口的茶楼这时刚开门，点一盅普洱、一笼虾饺，看着窗外的骑楼一点点亮起来。',
      img('street', '老街骑楼', '清晨的骑楼，店铺的卷帘门陆续拉开'),
      '吃过早茶，沿着骑楼往南走。廊下阴凉，两旁是开了几十年的凉茶铺、钟表店和老药房，橱窗里的摆设好像几十年没换过。',
      '走到尽头的小广场，可以歇一歇脚，下篇的小吃就从这里开始。',
      '<!-- 分页 -->',
      '## 下篇：小吃与夜市',
      '午后去市场边的牛肉丸店，汤底清甜，丸子弹牙。再往前几步是卖蚝烙和粿条的摊子，分量都不大，正好一样尝一口。',
      img('food', '牛肉丸汤', '一碗牛肉丸汤，撒一把芹菜粒'),
      '天黑以后，广场上的夜市摆开了。卖杂货的、卖糖水的、套圈的，一直热闹到十点多。',
      '走累了，来一碗白粥配几样杂咸，这一天就圆满了。'
    ].join('\n\n')
  },
  {
    categoryKey: 'events',
    title: '冬至社区包汤圆 下周邀街坊一起来',
    summary: '冬至当天下午，社区服务中心邀请街坊一起包汤圆，材料由活动组准备，欢迎带孩子参加。',
    sourceName: '社区活动组',
    sourceUrl: 'https://example.com/events/winter-solstice',
    // Scheduled: published three days from the seeding, the way an editor queues an announcement.
    daysAgo: -3,
    views: 0,
    body: [
      '冬至将至，社区服务中心将在冬至当天下午两点举办"包汤圆、过冬至"活动。',
      img('lanterns', '活动长廊', '活动将在服务中心的长廊举行'),
      '糯米粉、芝麻馅和花生馅由活动组准备，街坊只需带上好心情。包好的汤圆现场煮，也可以带回家。',
      '名额六十人，额满即止，报名请到社区服务中心登记。'
    ].join('\n\n')
  }
]

/** 快速评论 the demo members leave under the articles (spread over the articles round-robin). */
export const DEMO_COMMENTS: string[] = [
  '住在附近，确实是这样，写得很实在。',
  '收藏了，周末照着走一遍。',
  '这个消息有用，转给家里老人看看。',
  '希望后续能继续跟进报道。',
  '小编辛苦了！配图很有味道。',
  '上个月去过一次，体验不错，就是人有点多。',
  '有没有更详细的时间表？',
  '支持！这样的好事多来一些。',
  '我家孩子最喜欢这个，下次一定带他去。',
  '补充一句：周末去最好早点出门，停车不好找。'
]
