import type { BulkGenerator } from '../src/db/bulk-seed'
import { generateBulkComments } from '../src/features/comments/bulk'
import { generateBulkBans } from '../src/features/moderation/bulk'
import { generateBulkForum } from '../src/features/forum/bulk'

/** The feature generators `seed:bulk` and the bench run after members and articles, in this order. */
export const BULK_GENERATORS: readonly BulkGenerator[] = [generateBulkComments, generateBulkBans, generateBulkForum]
