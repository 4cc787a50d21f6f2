/**
 * The relevance corpus (issue 23): 30 documents written for the tests, each the expected answer of one
 * query, and 180 distractors built from the same vocabulary (each query's words appear in several of
 * them, once, in the body), so a query has competition and the ranking, not mere matching, is tested.
 * Used by test/search/relevance.test.ts (both databases) and scripts/search-measure.ts (bigrams vs jieba).
 */

export interface CorpusDoc { key: string, title: string, body: string }
export interface CorpusQuery { q: string, expected: string }

export const TARGETS: ReadonlyArray<CorpusDoc & { q: string }> = [
  { key: 't01', q: '投资', title: '全区工业投资再创新高', body: '今年前三季度，全区完成工业投资额42亿元，同比增长12%。区发改局表示，投资主要集中在新材料和智能制造。' },
  { key: 't02', q: '地铁', title: '地铁三号线东延段开工', body: '地铁三号线东延段今日开工，全长8.6公里，设站5座。建成后从东湖到火车站坐地铁只需20分钟。' },
  { key: 't03', q: '停车', title: '老旧小区停车难怎么破', body: '不少老旧小区停车位紧张，街道试点错峰停车，夜间开放机关单位停车场，居民停车难有望缓解。' },
  { key: 't04', q: '垃圾分类', title: '垃圾分类新规下月实施', body: '下月起垃圾分类新规正式实施，厨余垃圾要破袋投放。违反垃圾分类规定的单位最高罚款五万元。' },
  { key: 't05', q: '疫苗', title: '社区卫生中心开放流感疫苗预约', body: '流感疫苗已到货，市民可在公众号预约接种。六十岁以上老人接种疫苗免费。' },
  { key: 't06', q: '高考', title: '高考志愿填报讲座周六举行', body: '区教育局周六在图书馆举办高考志愿填报讲座，请往届高考状元分享经验，家长可免费报名。' },
  { key: 't07', q: '台风', title: '台风“海燕”明晨登陆 请做好防御', body: '气象台发布台风橙色预警，台风明晨将在沿海登陆，中小学停课一天，渔船全部回港避风。' },
  { key: 't08', q: '房价', title: '十月房价环比微涨', body: '统计局数据显示，十月新建商品住宅房价环比上涨0.3%，二手房价持平，成交量回升。' },
  { key: 't09', q: '马拉松', title: '城市马拉松报名人数破三万', body: '今年城市马拉松报名人数突破三万，全程马拉松名额一万个，将通过抽签决定。' },
  { key: 't10', q: '图书馆', title: '新图书馆元旦开馆', body: '位于文化公园旁的新图书馆元旦开馆，藏书八十万册，图书馆24小时自助借还区同步启用。' },
  { key: 't11', q: '菜价', title: '寒潮过后菜价回落', body: '受寒潮影响上涨的菜价本周开始回落，叶菜类降幅最大，菜价有望在春节前保持稳定。' },
  { key: 't12', q: '充电桩', title: '小区加装充电桩流程公布', body: '业主申请加装充电桩需物业出具同意书，供电公司五个工作日内上门勘察，充电桩费用由业主承担。' },
  { key: 't13', q: '养老金', title: '养老金今年上调3%', body: '退休人员基本养老金今年上调3%，调整后的养老金将于本月底前发放到位。' },
  { key: 't14', q: '社保', title: '灵活就业人员社保缴费指南', body: '灵活就业人员可在网上办理社保登记，社保缴费基数可在上下限之间自选，按月或按季缴纳。' },
  { key: 't15', q: '公积金', title: '公积金贷款额度提高', body: '住房公积金管理中心宣布，首套房公积金贷款最高额度提高到八十万元，二套房不变。' },
  { key: 't16', q: '5G', title: '全区实现5G信号全覆盖', body: '运营商新建基站三百座，全区5G网络实现城乡全覆盖，下载速度平均提升四倍。' },
  { key: 't17', q: 'iPhone', title: 'iPhone新机到货 门店排起长队', body: '新款iPhone今日开售，商业街门店一早排起长队，部分颜色的iPhone已经缺货。' },
  { key: 't18', q: '自行车', title: '共享自行车乱停放将被清理', body: '城管部门开展共享自行车专项整治，乱停放的自行车将被集中清理，企业需在两小时内响应。' },
  { key: 't19', q: '火锅', title: '老街开了家潮汕牛肉火锅', body: '老街新开的牛肉火锅店主打现切牛肉，火锅汤底用牛骨熬制，人均八十元左右。' },
  { key: 't20', q: '装修', title: '装修噪音扰民怎么办', body: '根据规定，住宅装修施工时间为早八点到晚六点，周末和节假日不得进行产生噪音的装修作业。' },
  { key: 't21', q: '宠物', title: '养犬登记和宠物疫苗注意事项', body: '养犬人须办理登记，宠物每年要接种狂犬疫苗，遛狗时必须拴绳，宠物粪便要及时清理。' },
  { key: 't22', q: '招聘', title: '春季招聘会提供岗位两千个', body: '人社局春季招聘会下周在会展中心举行，八十家企业现场招聘，岗位涵盖制造、物流和服务业。' },
  { key: 't23', q: '游泳', title: '暑期游泳安全提示', body: '暑期将至，学生请勿到江河水库游泳，家长要做好看护，游泳馆需配备足够的救生员。' },
  { key: 't24', q: '公交', title: '新开三条社区公交线路', body: '为方便居民出行，公交公司新开三条社区公交线路，公交车票价一元，支持扫码乘车。' },
  { key: 't25', q: '燃气', title: '燃气安全检查入户开始', body: '燃气公司即日起开展入户安检，检查燃气管道和灶具软管，发现燃气泄漏请立即开窗并报警。' },
  { key: 't26', q: '荔枝', title: '妃子笑荔枝上市', body: '本地妃子笑荔枝本周上市，果园荔枝批发价每斤八元，预计产量比去年增加两成。' },
  { key: 't27', q: '婚礼', title: '集体婚礼报名开始', body: '区妇联举办第十届集体婚礼，新人可免费报名，婚礼将在海滨公园草坪举行。' },
  { key: 't28', q: '烟花', title: '春节期间烟花燃放区域公布', body: '春节期间市区禁止燃放烟花爆竹，郊区设置十个烟花燃放点，燃放时间为除夕到初五。' },
  { key: 't29', q: '停水', title: '周三部分片区停水通知', body: '因管网改造，周三上午九点至下午五点部分片区停水，请居民提前储水，停水期间供水车巡回供水。' },
  { key: 't30', q: '驾照', title: '驾照到期换证可网上办理', body: '驾照到期的市民可在交管App申请换证，新驾照邮寄到家，无需再到车管所排队。' }
]

// Phrases the distractors are built from: every target's word, plus everyday vocabulary.
const FILLER = [
  '街道办事处', '居民反映', '本周', '相关部门', '市民', '记者了解到', '负责人表示', '下一步', '工作人员', '据介绍',
  '区政府', '社区', '网友', '近日', '目前', '有关规定', '咨询电话', '详情', '预计', '同比'
]

/** A small deterministic generator (mulberry32): the same corpus on every run. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a |= 0
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function distractors (count: number): CorpusDoc[] {
  const next = random(23)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T
  const out: CorpusDoc[] = []
  for (let i = 0; i < count; i++) {
    // Each distractor mentions two targets' words once (in the body) among filler sentences.
    const a = pick(TARGETS)
    const b = pick(TARGETS)
    const title = `${pick(FILLER)}${pick(['通报', '回应', '提醒', '发布', '召开会议'])}（${i + 1}）`
    const sentences = [
      `${pick(FILLER)}${pick(FILLER)}，${pick(FILLER)}。`,
      `有${pick(FILLER)}提到了${a.q}的问题，${pick(FILLER)}。`,
      `${pick(FILLER)}说，${b.q}方面${pick(['还在研究', '已有安排', '暂无新消息', '另行通知'])}。`,
      `${pick(FILLER)}，${pick(FILLER)}${pick(FILLER)}。`
    ]
    out.push({ key: `d${String(i + 1).padStart(3, '0')}`, title, body: sentences.join('') })
  }
  return out
}

export const CORPUS: readonly CorpusDoc[] = [...TARGETS.map(({ key, title, body }) => ({ key, title, body })), ...distractors(180)]
/**
 * Each target's own word, plus phrases that must pick one target among several sharing a word (疫苗 is in
 * t05 and t21; 停车 in t03 only but 车 everywhere), mixed scripts, and a word inside a longer one.
 */
export const QUERIES: readonly CorpusQuery[] = [
  ...TARGETS.map((t) => ({ q: t.q, expected: t.key })),
  { q: '狂犬疫苗', expected: 't21' },
  { q: '流感疫苗', expected: 't05' },
  { q: '错峰停车', expected: 't03' },
  { q: '牛肉火锅', expected: 't19' },
  { q: '高考志愿', expected: 't06' },
  { q: '二手房', expected: 't08' },
  { q: '5G 基站', expected: 't16' },
  { q: 'iphone 缺货', expected: 't17' },
  { q: '供水车', expected: 't29' },
  { q: '工业投资额', expected: 't01' }
]

/** Two-character words inside the targets' text (often inside a longer word): does a search for each reach its document at all? */
export const TWO_CHARACTER_WORDS: readonly string[] = [
  '流感', '管网', '妃子', '车管', '狂犬', '城乡', '公众', '牛骨', '救生', '会展', '厨余', '破袋', '商品', '材料', '智能', '二手',
  '基站', '扫码', '渔船', '供电', '东延', '错峰', '汤底', '现切', '往届', '状元', '灶具', '软管', '储水', '换证', '邮寄', '颜色',
  '开售', '缺货', '抽签', '全程', '名额', '藏书', '自助', '借还', '叶菜', '降幅', '同意', '勘察', '上调', '发放', '登记', '基数',
  '首套', '额度', '运营', '下载', '城管', '整治', '响应', '噪音', '扰民', '遛狗', '拴绳', '粪便', '岗位', '物流', '看护', '水库',
  '票价', '乘车', '安检', '泄漏', '果园', '批发', '产量', '新人', '草坪', '爆竹', '郊区', '除夕', '片区', '巡回', '投资'
]
