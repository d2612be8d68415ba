/**
 * The SigV4 authentication parameters of one request, read from either the Authorization header
 * or the presigned query, with AWS's IncompleteSignatureException texts for what is missing.
 *
 * @module
 */
import type { QueryParameter } from './canonical-query.js'
import { SIGV4_MESSAGES, sigV4Failure, type SigV4Failure } from './sigv4-result.js'

/** Everything the verifier needs from the auth data, before any of it is validated. */
export interface SigV4Params {
  readonly form: 'header' | 'query'
  readonly algorithm: string
  readonly credential: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
  /** Raw timestamp text and where it came from (`Date` needs converting to ISO basic form). */
  readonly timestamp: { readonly source: 'x-amz-date' | 'date' | 'query'; readonly value: string }
  /** Raw `X-Amz-Expires` (query form only), undefined when absent. */
  readonly expires: string | undefined
}

export type SigV4ParamsResult =
  | { readonly ok: true; readonly params: SigV4Params }
  | { readonly ok: false; readonly failure: SigV4Failure }

function incomplete(message: string): SigV4ParamsResult {
  return {
    ok: false,
    failure: sigV4Failure('ERR_SIGV4_INCOMPLETE', 'IncompleteSignatureException', message),
  }
}

/** Index of the first `\s` character (what `search(/\s/)` finds), without a regex. */
function firstWhitespace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return i
    if (c >= 0xa0 && WHITESPACE.test(text.charAt(i))) return i
  }
  return -1
}

const WHITESPACE = /\s/

function splitSignedHeaders(value: string): string[] {
  return value === '' ? [] : value.split(';')
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` the way API Gateway
 * does: the first word is the algorithm (checked later, as AWS does), the rest is a comma list of
 * `key=value` pairs. A piece without `=` is refused with AWS's "missing equal-sign" text (what
 * `Bearer x` gets); missing parameters are listed together, then `Authorization=<value>`.
 */
export function paramsFromAuthorization(
  authorization: string,
  headers: ReadonlyMap<string, string>,
): SigV4ParamsResult {
  const trimmed = authorization.trim()
  const space = firstWhitespace(trimmed)
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space)
  // Only three fields are read, so they are kept in locals rather than a Map of every field.
  let credential: string | undefined
  let signature: string | undefined
  let signedHeaders: string | undefined
  if (space >= 0) {
    const rest = trimmed.slice(space + 1)
    let start = 0
    while (start <= rest.length) {
      let end = rest.indexOf(',', start)
      if (end < 0) end = rest.length
      const piece = rest.slice(start, end).trim()
      start = end + 1
      if (piece === '') continue
      const eq = piece.indexOf('=')
      if (eq < 0) return incomplete(SIGV4_MESSAGES.notKeyValue(piece, authorization))
      const key = piece.slice(0, eq).trim()
      // First occurrence wins; a repeated field cannot help an attacker (the signature covers
      // everything but this header) but must not make parsing order-dependent either.
      if (key === 'Credential') credential ??= piece.slice(eq + 1).trim()
      else if (key === 'Signature') signature ??= piece.slice(eq + 1).trim()
      else if (key === 'SignedHeaders') signedHeaders ??= piece.slice(eq + 1).trim()
    }
  }
  const amzDate = headers.get('x-amz-date')
  const date = headers.get('date')
  const missing: string[] = []
  if (credential === undefined || credential === '')
    missing.push(SIGV4_MESSAGES.headerRequiresCredential)
  if (signature === undefined || signature === '')
    missing.push(SIGV4_MESSAGES.headerRequiresSignature)
  // An empty SignedHeaders is syntactically present; it then fails the signed-host rule.
  if (signedHeaders === undefined) missing.push(SIGV4_MESSAGES.headerRequiresSignedHeaders)
  if (amzDate === undefined && date === undefined) missing.push(SIGV4_MESSAGES.headerRequiresDate)
  if (
    credential === undefined ||
    credential === '' ||
    signature === undefined ||
    signature === '' ||
    signedHeaders === undefined ||
    (amzDate === undefined && date === undefined)
  ) {
    return incomplete(`${missing.join(' ')} Authorization=${authorization}`)
  }
  return {
    ok: true,
    params: {
      form: 'header',
      algorithm,
      credential,
      signedHeaders: splitSignedHeaders(signedHeaders),
      signature,
      timestamp:
        amzDate !== undefined
          ? { source: 'x-amz-date', value: amzDate }
          : { source: 'date', value: date ?? '' },
      expires: undefined,
    },
  }
}

const REQUIRED_QUERY_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
  'X-Amz-SignedHeaders',
  'X-Amz-Date',
] as const

const AUTH_QUERY_PARAMS: ReadonlySet<string> = new Set([
  ...REQUIRED_QUERY_PARAMS,
  'X-Amz-Expires',
  'X-Amz-Security-Token',
])

/** Reads the presigned-URL parameters (names are case-sensitive, as AWS treats them). */
export function paramsFromQuery(query: readonly QueryParameter[]): SigV4ParamsResult {
  const found = new Map<string, string>()
  for (const p of query) {
    if (!AUTH_QUERY_PARAMS.has(p.name)) continue
    if (found.has(p.name)) return incomplete(SIGV4_MESSAGES.queryDuplicate(p.name))
    found.set(p.name, p.value)
  }
  const missing = REQUIRED_QUERY_PARAMS.filter((name) => (found.get(name) ?? '') === '')
  if (missing.length > 0) {
    return incomplete(
      `${missing.map((name) => SIGV4_MESSAGES.queryRequires(name)).join(' ')} ${SIGV4_MESSAGES.queryReexamine}`,
    )
  }
  return {
    ok: true,
    params: {
      form: 'query',
      algorithm: found.get('X-Amz-Algorithm') ?? '',
      credential: found.get('X-Amz-Credential') ?? '',
      signedHeaders: splitSignedHeaders(found.get('X-Amz-SignedHeaders') ?? ''),
      signature: found.get('X-Amz-Signature') ?? '',
      timestamp: { source: 'query', value: found.get('X-Amz-Date') ?? '' },
      expires: found.get('X-Amz-Expires'),
    },
  }
}
