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
  /** `SignedHeaders` split on `;`, names as the client wrote them. */
  readonly signedHeaders: readonly string[]
  /** `SignedHeaders` as sent (what the canonical request repeats): `signedHeaders.join(';')`. */
  readonly signedHeadersText: string
  readonly signature: string
  /** Where the raw timestamp came from (`date` needs converting to ISO basic form). */
  readonly timestampSource: 'x-amz-date' | 'date' | 'query'
  /** Raw timestamp text. */
  readonly timestamp: string
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

function duplicate(param: string): SigV4ParamsResult {
  return incomplete(SIGV4_MESSAGES.headerDuplicate(param))
}

/** The `\s` class (what `trim()` and `search(/\s/)` use), for code units outside ASCII. */
const WHITESPACE = /\s/

/** True when `text[i]` is in the `\s` class, without a regex for ASCII. */
export function isSpaceAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (c < 0xa0) return c === 0x20 || (c >= 0x09 && c <= 0x0d)
  return WHITESPACE.test(text.charAt(i))
}

/** True when `text[at, at + literal.length)` equals `literal` (no substring allocated). */
function equalsAt(text: string, at: number, end: number, literal: string): boolean {
  if (end - at !== literal.length) return false
  for (let i = 0; i < literal.length; i++) {
    if (text.charCodeAt(at + i) !== literal.charCodeAt(i)) return false
  }
  return true
}

/**
 * `value.split(';')` (and `[]` for `''`). Scanned with indexOf: `split` on a substring of the
 * Authorization header (a sliced string) costs several times more.
 */
function splitSignedHeaders(value: string): string[] {
  const names: string[] = []
  if (value === '') return names
  let start = 0
  for (;;) {
    const semicolon = value.indexOf(';', start)
    if (semicolon < 0) break
    names.push(value.slice(start, semicolon))
    start = semicolon + 1
  }
  names.push(value.slice(start))
  return names
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` the way API Gateway
 * does: the first word is the algorithm (checked later, as AWS does), the rest is a comma list of
 * `key=value` pairs. A piece without `=` is refused with AWS's "missing equal-sign" text (what
 * `Bearer x` gets); missing parameters are listed together, then `Authorization=<value>`. A
 * repeated parameter, or a second credential joined on (a repeated header), is refused: the
 * request must name one identity only.
 *
 * One pass over index ranges, the same result as `trim()`, `search(/\s/)`, `split(',')` and a
 * `trim()` of every piece, key and value (fast-paths.test.ts compares them): only the algorithm
 * and the three values read are sliced out.
 */
export function paramsFromAuthorization(
  authorization: string,
  headers: ReadonlyMap<string, string>,
): SigV4ParamsResult {
  let start = 0
  let end = authorization.length
  while (start < end && isSpaceAt(authorization, start)) start++
  while (end > start && isSpaceAt(authorization, end - 1)) end--
  let space = start
  while (space < end && !isSpaceAt(authorization, space)) space++
  const algorithm = authorization.slice(start, space)
  // Only three fields are read, so they are kept in locals rather than a Map of every field.
  let credential: string | undefined
  let signature: string | undefined
  let signedHeaders: string | undefined
  // `space < end`: there is a rest after the first whitespace (trimmed, so it is not empty).
  let pos = space + 1
  while (space < end && pos <= end) {
    let comma = authorization.indexOf(',', pos)
    if (comma < 0 || comma > end) comma = end
    let ps = pos
    let pe = comma
    pos = comma + 1
    while (ps < pe && isSpaceAt(authorization, ps)) ps++
    while (pe > ps && isSpaceAt(authorization, pe - 1)) pe--
    if (ps === pe) continue
    const eq = authorization.indexOf('=', ps)
    if (eq < 0 || eq >= pe) {
      return incomplete(SIGV4_MESSAGES.notKeyValue(authorization.slice(ps, pe), authorization))
    }
    // The piece is trimmed, so the key only needs its right end trimmed, the value its left.
    let ke = eq
    while (ke > ps && isSpaceAt(authorization, ke - 1)) ke--
    // A parameter name never holds whitespace. One that does is the start of another credential
    // (`<scheme> <param>=`): proxies join a repeated Authorization header with `,`, so two
    // headers arrive as one value, and a later reader could pick the other credential.
    for (let i = ps; i < ke; i++) {
      if (isSpaceAt(authorization, i)) return incomplete(SIGV4_MESSAGES.headerRepeated)
    }
    let vs = eq + 1
    while (vs < pe && isSpaceAt(authorization, vs)) vs++
    // A repeated field is refused, like a repeated presigned parameter: whichever copy we read,
    // another reader of the same header could take the other one.
    if (equalsAt(authorization, ps, ke, 'Credential')) {
      if (credential !== undefined) return duplicate('Credential')
      credential = authorization.slice(vs, pe)
    } else if (equalsAt(authorization, ps, ke, 'Signature')) {
      if (signature !== undefined) return duplicate('Signature')
      signature = authorization.slice(vs, pe)
    } else if (equalsAt(authorization, ps, ke, 'SignedHeaders')) {
      if (signedHeaders !== undefined) return duplicate('SignedHeaders')
      signedHeaders = authorization.slice(vs, pe)
    }
  }
  const amzDate = headers.get('x-amz-date')
  const date = amzDate === undefined ? headers.get('date') : undefined
  if (
    credential === undefined ||
    credential === '' ||
    signature === undefined ||
    signature === '' ||
    // An empty SignedHeaders is syntactically present; it then fails the signed-host rule.
    signedHeaders === undefined ||
    (amzDate === undefined && date === undefined)
  ) {
    const missing: string[] = []
    if (credential === undefined || credential === '')
      missing.push(SIGV4_MESSAGES.headerRequiresCredential)
    if (signature === undefined || signature === '')
      missing.push(SIGV4_MESSAGES.headerRequiresSignature)
    if (signedHeaders === undefined) missing.push(SIGV4_MESSAGES.headerRequiresSignedHeaders)
    if (amzDate === undefined && date === undefined) missing.push(SIGV4_MESSAGES.headerRequiresDate)
    return incomplete(`${missing.join(' ')} Authorization=${authorization}`)
  }
  return {
    ok: true,
    params: {
      form: 'header',
      algorithm,
      credential,
      signedHeaders: splitSignedHeaders(signedHeaders),
      signedHeadersText: signedHeaders,
      signature,
      timestampSource: amzDate !== undefined ? 'x-amz-date' : 'date',
      timestamp: amzDate ?? date ?? '',
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
      signedHeadersText: found.get('X-Amz-SignedHeaders') ?? '',
      signature: found.get('X-Amz-Signature') ?? '',
      timestampSource: 'query',
      timestamp: found.get('X-Amz-Date') ?? '',
      expires: found.get('X-Amz-Expires'),
    },
  }
}
