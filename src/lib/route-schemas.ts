import { Type } from 'typebox'

/**
 * Building blocks for route schemas (TypeBox, read by Fastify's type provider). Pure: no Fastify here.
 *
 * Lenient where the pages always were: a URL parameter is any string (the handler's parseId answers
 * the page's own Chinese 404 for `abc`, as before schemas), and a query value may be repeated
 * (`?page=abc&page=2` is an array) and is left to the parse helpers (parsePageParam: page 1). Unknown
 * query parameters stay allowed: links from old sites and trackers carry them.
 */

/** A path parameter, a string of any shape, parsed by the handler (a non-number is that page's 404, not a 400). */
export const PathParam = Type.String()

/** An optional query value: one string, or several when the parameter is repeated. */
export const QueryValue = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]))

/** A query value given once; a repeated parameter counts as not given (as the handlers read it before schemas). */
export function singleValue (value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/**
 * A form POST may arrive without any body (no Content-Type): its fields are then all missing, as the
 * handlers always treated it, rather than a 400 "body must be object" before the CSRF check answers.
 * Used as the route's preValidation hook.
 */
export function missingBodyAsEmpty (request: { body: unknown }, _reply: unknown, done: () => void): void {
  if (request.body === undefined || request.body === null) request.body = {}
  done()
}

/**
 * Every query parameter of a page assembled from other features' sections (the article page): the
 * sections read their own (the comments block its `quote` and `pending`), typed, without the page
 * having to know them.
 */
export const AnyQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
export type QueryValues = Readonly<Record<string, string | readonly string[] | undefined>>
