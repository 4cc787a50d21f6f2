import type { FastifyRequest } from 'fastify'

/**
 * A POST that carries no body at all (no form, no content type) reaches a route's body schema as
 * `undefined`, which no object schema accepts: it would get a 400 before the CSRF check, where before
 * schemas it got that check's 403. As a `preValidation` hook in a route module, this makes such a
 * request an empty form, so the schema (every field optional) passes it on and the CSRF check refuses
 * it as before.
 */
export async function emptyFormWhenBodiless (request: FastifyRequest): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD' && (request.body === undefined || request.body === null)) request.body = {}
}
