import { rectifyConfusion } from 'unicode-confusables'

/**
 * Usernames are stored in NFKC: full-width `ａｄｍｉｎ` is `admin`, and compatibility forms (ligatures,
 * circled or super-script letters) become their plain letters before any rule or lookup sees them.
 */
export const normalizeUsername = (name: string): string => name.normalize('NFKC').trim()

/**
 * The look-alike key of a username (the unique `users.username_skeleton` column): the UTS #39 skeleton
 * of the lower-cased NFKC name, lower-cased again. Two names with the same key look the same to a
 * reader (`admin`, `аdmin` with a Cyrillic а, `adrnin` → `adrnin`), so the second is refused.
 * Lower-cased first because names are unique ignoring case anyway, and the skeleton of a capital
 * differs from its small letter's (`I` → `l`, `i` → `i`): this way `ADMIN` and `admin` share a key.
 * The migration that added the column computes the same formula for existing rows (it may not import
 * app code): change both together.
 */
export const usernameSkeleton = (name: string): string => rectifyConfusion(normalizeUsername(name).toLowerCase()).toLowerCase()

/** The key a username (or an e-mail) is unique by: `users.username_key` / `email_key`. */
export const usernameKey = (name: string): string => normalizeUsername(name).toLowerCase()
