import { badRequest } from '../../lib/http-errors'

/** The forum's messages, limits and input rules: shared by every use case (threads, replies, moderation). */

export const messages = {
  boardNotFound: '抱歉，指定的版块不存在',
  threadNotFound: '抱歉，指定的主题不存在或已被删除或正在被审核',
  postNotFound: '抱歉，指定的帖子不存在或已被删除',
  titleEmpty: '抱歉，您尚未输入标题',
  titleTooLong: '抱歉，您的标题超过 80 个字符，请修改标题长度',
  bodyEmpty: '抱歉，您尚未输入内容',
  bodyTooLong: `抱歉，您的帖子超过 ${20000} 个字符的限制`,
  closed: '本主题已关闭，不能再回复',
  groupNoThreads: '抱歉，分区下不能直接发帖，请选择一个版块',
  threadTypeUnknown: '请选择本版块提供的主题分类',
  moveSameBoard: '主题已在该版块中',
  moveBadBoard: '请选择要移动到的版块',
  firstPostHasReplies: '主题已有回复，不能删除，请联系版主',
  threadNotApproved: '请先审核该主题的楼主帖'
} as const

export const THREADS_PER_PAGE = 20
export const POSTS_PER_PAGE = 10
export const TITLE_MAX_LENGTH = 80
export const BODY_MAX_LENGTH = 20000
export const LATEST_THREADS = 10
export const REVIEW_PAGE_SIZE = 20
/** How far back 同时屏蔽该会员最近的帖子 reaches when a member is banned. */
export const HIDE_RECENT_SECONDS = 3 * 86400

export function floorLabel (position: number): string {
  return position === 1 ? '楼主' : `${position}楼`
}

/** The page of a thread a floor is on. */
export function pageOfFloor (position: number): number {
  return Math.max(1, Math.ceil(position / POSTS_PER_PAGE))
}

/** Validates and normalises a title: one line, 1–80 characters (counted as characters, not bytes). */
export function cleanTitle (raw: unknown): string {
  const title = (typeof raw === 'string' ? raw : '').replace(/[\r\n\t]+/g, ' ').trim()
  if (title === '') throw badRequest(messages.titleEmpty)
  if ([...title].length > TITLE_MAX_LENGTH) throw badRequest(messages.titleTooLong)
  return title
}

export function cleanBody (raw: unknown): string {
  const body = (typeof raw === 'string' ? raw : '').replace(/\r\n?/g, '\n')
  if (body.trim() === '') throw badRequest(messages.bodyEmpty)
  if ([...body].length > BODY_MAX_LENGTH) throw badRequest(messages.bodyTooLong)
  return body
}

/**
 * A thread's title and body go through the word list as one text (`title\nbody`); the title cannot
 * hold a newline, so the checked text splits back at the first one.
 */
export function splitCheckedThread (checkedText: string, title: string, body: string): { title: string, body: string } {
  const cut = checkedText.indexOf('\n')
  return cut < 0 ? { title, body } : { title: checkedText.slice(0, cut), body: checkedText.slice(cut + 1) }
}
