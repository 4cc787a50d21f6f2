import type { Knex } from 'knex'
import { RENDERER_VERSION, renderStoredBody } from '../../lib/markdown'

/**
 * The demo site's 单页, linked from its footer (src/db/demo-content.ts): short original texts about
 * the fictional 濠江社区, so that no footer link of the demo is a dead end.
 */

export const DEMO_PAGES: ReadonlyArray<{ slug: string, title: string, body: string }> = [
  {
    slug: 'about',
    title: '关于我们',
    body: `## 濠江社区是什么

濠江社区是一个由本地居民自发建立的网上家园，2024 年上线。这里有街坊写的新闻、吃喝玩乐的经验、二手转让和求助信息。

## 我们相信

- **真实**：说自己看到的、经历过的事情；
- **友善**：对事不对人，有话好好说；
- **互助**：今天你帮别人答一个问题，明天别人也会帮你。

社区由一支很小的志愿者团队维护，没有投资方，也不卖会员的资料。`
  },
  {
    slug: 'help',
    title: '帮助中心',
    body: `## 新手上路

1. 点页面右上角的“注册”，填写用户名、密码和邮箱即可成为会员；
2. 新会员注册后稍等片刻才能发言，这是为了减少广告机器人；
3. 发帖和评论支持 Markdown：\`**加粗**\`、\`> 引用\`、\`- 列表\`。

## 常见问题

**忘记密码怎么办？** 请发邮件到举报邮箱说明用户名，管理员核实后会帮你处理。

**帖子为什么“待审核”？** 含有需要审核的词语或链接的内容，会在版主看过后显示。

**小黑屋是什么？** 被禁止发言或禁止访问的会员名单，公开可查。`
  },
  {
    slug: 'legal',
    title: '法律声明',
    body: `## 内容责任

会员在濠江社区发表的内容仅代表其个人观点，由发表者本人承担相应责任。

## 版权

会员发表的原创内容，著作权归作者所有；转载请注明作者与出处。本站自有内容未经许可不得转载。

## 违规处理

发现违法或不良信息，请通过页面底部的举报电话或举报邮箱告诉我们，我们会尽快核实处理。`
  },
  {
    slug: 'jobs',
    title: '诚聘英才',
    body: `濠江社区目前招募以下**志愿者**（不设薪酬，时间自由）：

- **版主**：熟悉本地生活，愿意每天花一点时间看帖、回帖、处理举报；
- **编辑**：整理本地新闻和活动信息，写作通顺即可。

有意者请把自我介绍发到联系我们页面上的邮箱，注明想做的岗位。`
  },
  {
    slug: 'contact',
    title: '联系我们',
    body: `- 服务热线：见页面底部（工作日 9:00–18:00）
- 商务合作：bd@haojiang.example.com
- 意见建议：请到论坛的“站务反馈”版块发帖，大家都能看到处理进度

举报违法和不良信息，请使用页面底部的举报电话和举报邮箱。`
  },
  {
    slug: 'app',
    title: 'APP下载',
    body: `濠江社区暂时没有独立的手机 APP。

用手机浏览器直接打开本站即可，页面会自动适应手机屏幕；也可以点页面底部的“手机版”。把网址添加到手机桌面，用起来和 APP 差不多。`
  }
]

/** Inserts the demo pages (in the demo seed's transaction); `now` in Unix seconds. */
export async function seedDemoPages (knex: Knex, now: number, byUserId: number | null = null): Promise<void> {
  for (const page of DEMO_PAGES) {
    await knex('pages').insert({
      slug: page.slug,
      title: page.title,
      body: page.body,
      // Rendered once, as an admin's save does: the page view never parses Markdown.
      body_html: renderStoredBody(page.body).html,
      render_version: RENDERER_VERSION,
      created_at: now,
      updated_at: now,
      updated_by: byUserId
    })
  }
}
