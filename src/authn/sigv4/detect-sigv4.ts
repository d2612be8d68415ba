/**
 * Cheap classification of a request's SigV4 authentication data, for routing a request to the
 * right authenticator before any verification work.
 *
 * @module
 */
import type { RequestContext } from '../../request/request-context.js'
import { SIGV4_ALGORITHM } from './string-to-sign.js'
import { percentDecode } from './uri-encode.js'

/**
 * - `none`: no Authorization header, no presigned parameters.
 * - `header`: Authorization naming `AWS4-HMAC-SHA256` (as its algorithm, or after another
 *   credential joined on); the verifier sorts out which.
 * - `query`: presigned parameters (`X-Amz-Algorithm`, `X-Amz-Credential` or `X-Amz-Signature`).
 * - `both`: presigned parameters and an Authorization header of any kind (AWS refuses the pair).
 * - `other-authorization`: an Authorization header that never names `AWS4-HMAC-SHA256` (Bearer,
 *   Basic, SigV4a `AWS4-ECDSA-P256-SHA256`, ...).
 */
export type SigV4Presence = 'none' | 'header' | 'query' | 'both' | 'other-authorization'

const QUERY_MARKERS: ReadonlySet<string> = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
])

/** True when the raw query names a presigned-URL parameter (names compared decoded). */
export function hasPresignedQuery(rawQuery: string): boolean {
  if (!rawQuery.includes('X-Amz-') && !rawQuery.includes('%')) return false
  for (const piece of rawQuery.split('&')) {
    const eq = piece.indexOf('=')
    const rawName = eq < 0 ? piece : piece.slice(0, eq)
    const name = rawName.includes('%') ? percentDecode(rawName, true)?.toString('utf8') : rawName
    if (name !== undefined && QUERY_MARKERS.has(name)) return true
  }
  return false
}

/** The Authorization header, or undefined when absent or blank. */
export function authorizationHeader(req: Pick<RequestContext, 'headers'>): string | undefined {
  const value = req.headers.get('authorization')
  return value === undefined || value.trim() === '' ? undefined : value
}

export function detectSigV4(req: Pick<RequestContext, 'headers' | 'rawQuery'>): SigV4Presence {
  const authorization = authorizationHeader(req)
  const query = hasPresignedQuery(req.rawQuery)
  if (authorization !== undefined && query) return 'both'
  if (query) return 'query'
  if (authorization === undefined) return 'none'
  // Anywhere, not only as the first word: a SigV4 credential after another one (a repeated
  // Authorization header, joined with `,` on the way) still names a signer. It goes to the
  // verifier, which refuses the pair, rather than passing as an anonymous bearer while a reader
  // downstream takes the signature.
  return authorization.includes(SIGV4_ALGORITHM) ? 'header' : 'other-authorization'
}
